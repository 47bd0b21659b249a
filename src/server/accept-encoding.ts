/** RFC 9110 Accept-Encoding: gzip (or `*`) with a weight above 0; an explicit `gzip;q=0` refuses. */
export function acceptsGzip(header: string): boolean {
  const weights = new Map<string, number>();
  for (const part of header.toLowerCase().split(',')) {
    const [name = '', ...params] = part.split(';').map((x) => x.trim());
    const q = params.find((p) => p.startsWith('q='));
    weights.set(name, q ? Number(q.slice(2)) || 0 : 1);
  }
  return (weights.get('gzip') ?? weights.get('*') ?? 0) > 0;
}
