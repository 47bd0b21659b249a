/** JSON-schema pieces the routes share, so one rule means one thing everywhere. */

/** Ids and names: products, releases, archives, customers, environments (1–128 characters). */
import { NAME_PATTERN } from '../../names.js';
export { NAME_PATTERN };
export const NAME = { type: 'string', pattern: NAME_PATTERN } as const;

/**
 * A row id from a serial (int4) column: 1 to 2^31−1. Anything past the column's range is the
 * validator's 400, never the database's error.
 */
export const SERIAL_ID = { type: 'integer', minimum: 1, maximum: 2147483647 } as const;

/** An e-mail address of record: the only one a non-admin may subscribe to notifications. */
export const EMAIL = { type: 'string', maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+$' } as const;

/** A non-empty string of at most `max` characters. */
export const str = (max = 200) => ({ type: 'string', minLength: 1, maxLength: max }) as const;

/** An object with exactly these properties, `required` among them. */
export const obj = (props: Record<string, object>, required: string[]) =>
  ({ type: 'object', additionalProperties: false, properties: props, required }) as const;

/** An update level. */
export const LEVEL = { type: 'integer', minimum: 0, maximum: 1000000 } as const;
