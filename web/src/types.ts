// The API's answers as the dashboard reads them: the wire protocol's shapes (src/wire), under the
// names the views use. The server's OpenAPI document is at /openapi.json.
export type * from '../../src/wire/index.js';
export type { CaseTestCounts as TestCounts } from '../../src/wire/index.js';
