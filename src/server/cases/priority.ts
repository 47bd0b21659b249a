import type { Severity } from '../../engine/index.js';

/** Who is affected: everyone, many users, a few users, or only internal/non-production use. */
export const IMPACTS = ['all', 'many', 'few', 'internal'] as const;
export type Impact = (typeof IMPACTS)[number];
export const SEVERITIES = ['S1', 'S2', 'S3', 'S4'] as const;
export type Priority = 'P1' | 'P2' | 'P3' | 'P4';

/** Priority = severity × impact. docs/cases.md shows the same table. */
export const PRIORITY: Readonly<Record<Severity, Readonly<Record<Impact, Priority>>>> = {
  S1: { all: 'P1', many: 'P1', few: 'P2', internal: 'P2' },
  S2: { all: 'P1', many: 'P2', few: 'P2', internal: 'P3' },
  S3: { all: 'P2', many: 'P3', few: 'P3', internal: 'P4' },
  S4: { all: 'P3', many: 'P4', few: 'P4', internal: 'P4' },
};

export function priorityOf(severity: Severity, impact: Impact): Priority {
  return PRIORITY[severity][impact];
}
