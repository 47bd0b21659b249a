import { appendFileSync, readFileSync } from 'node:fs';
import type { Layout } from '../engine/index.js';
import type { FleetEvent } from '../wire/fleet.js';

/** The installation's history for the fleet view, sent with `hfx state --report`. */
export function appendEvents(l: Layout, events: Omit<FleetEvent, 'at'>[]): void {
  if (events.length === 0) return;
  const at = new Date().toISOString();
  appendFileSync(l.events, events.map((e) => JSON.stringify({ ...e, at }) + '\n').join(''));
}

export function readEvents(l: Layout): FleetEvent[] {
  try {
    return readFileSync(l.events, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((x) => JSON.parse(x) as FleetEvent);
  } catch {
    return [];
  }
}
