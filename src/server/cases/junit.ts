import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { HfxError } from '../../errors.js';
import type { CaseTestCounts } from '../../wire/cases.js';

/** What a JUnit report counts, as the case keeps and sends it (`failures`: the first 50 failing names). */
export type TestCounts = CaseTestCounts;

/** The largest JUnit file taken as evidence, in characters. */
export const JUNIT_MAX = 20 * 1024 * 1024;

/**
 * JUnit XML (the Ant/Maven/Jenkins dialect): a <testsuites> or <testsuite> root; each <testcase>
 * counts once and fails with a <failure> or <error> child, or is skipped with <skipped>. Counts come
 * from the test cases, not the (often wrong) attributes. Well-formedness is checked first by
 * fast-xml-parser's validator; anything else is refused with HFX_E_JUNIT.
 */
export function parseJUnit(xml: string): TestCounts {
  if (xml.length > JUNIT_MAX) throw new HfxError('HFX_E_JUNIT', 'the JUnit XML is larger than 20 MiB');
  // Deprecated for the fast-xml-validator package, which is not a dependency (yet); HFX_E_JUNIT's
  // message and details are this validator's result, so a switch is its own change.
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- see above: no replacement installed
  const v = XMLValidator.validate(xml);
  if (v !== true)
    throw new HfxError('HFX_E_JUNIT', `the JUnit XML is malformed: ${v.err.msg} (line ${v.err.line})`, {
      details: v.err,
    });
  // No entity expansion (a billion-laughs guard); attributes kept; every element as an array.
  const doc = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@',
    processEntities: false,
    isArray: (name, _path, _leaf, isAttribute) => !isAttribute && name !== '?xml',
  }).parse(xml) as Record<string, unknown>;
  const roots = Object.keys(doc).filter((k) => k !== '?xml');
  if (roots.length !== 1 || (roots[0] !== 'testsuites' && roots[0] !== 'testsuite')) {
    throw new HfxError(
      'HFX_E_JUNIT',
      `JUnit XML must have one <testsuites> or <testsuite> root, not ${roots.map((r) => `<${r}>`).join(', ') || 'none'}`,
    );
  }
  const out: TestCounts = { tests: 0, failed: 0, errors: 0, skipped: 0, passed: 0, failures: [] };
  const suite = (s: unknown, depth: number): void => {
    if (depth > 50) throw new HfxError('HFX_E_JUNIT', 'test suites nested too deeply');
    if (typeof s !== 'object' || s === null) return;
    const o = s as Record<string, unknown>;
    for (const c of arr(o.testcase)) {
      const tc = (typeof c === 'object' && c !== null ? c : {}) as Record<string, unknown>;
      out.tests++;
      const name = `${text(tc['@classname'], '')}${tc['@classname'] ? '.' : ''}${text(tc['@name'], '?')}`;
      if (arr(tc.error).length) {
        out.errors++;
        if (out.failures.length < 50) out.failures.push(name);
      } else if (arr(tc.failure).length) {
        out.failed++;
        if (out.failures.length < 50) out.failures.push(name);
      } else if (arr(tc.skipped).length) out.skipped++;
      else out.passed++;
    }
    for (const child of arr(o.testsuite)) suite(child, depth + 1);
  };
  for (const r of arr(doc[roots[0]])) suite(r, 0);
  return out;
}

const arr = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** An attribute's text, or `dflt` when it is absent: the parser gives attributes as strings. */
const text = (v: unknown, dflt: string): string => (typeof v === 'string' ? v : dflt);

/** Failing tests, errors included: what blocks a case. */
export function failing(c: TestCounts): number {
  return c.failed + c.errors;
}
