// Kept apart from manifest.ts (and its schema library) so the hash workers start light.

export function modeString(mode: number): string {
  return '0' + (mode & 0o7777).toString(8).padStart(3, '0');
}

export function modeNumber(mode: string): number {
  return parseInt(mode, 8);
}
