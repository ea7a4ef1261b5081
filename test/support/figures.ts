/**
 * Every way the figures of `GET /v1/metrics` can fail to add up: a class part that does not sum to its total, a
 * breakdown (hold reasons, unsubscribe sources, suppression reasons) that does not sum to its figure, or human and
 * machine engagement that do not sum to the total. Empty when everything adds up.
 */
export function figureMismatches(figures: unknown, path = 'figures'): string[] {
  const out: string[] = [];
  if (typeof figures !== 'object' || figures === null) return out;
  const f = figures as Record<string, unknown>;
  const isClassCount = (v: unknown): v is { total: number; service: number; marketing: number } =>
    typeof v === 'object' && v !== null && ['total', 'service', 'marketing'].every((k) => typeof (v as Record<string, unknown>)[k] === 'number');
  if (isClassCount(f) && f.service + f.marketing !== f.total) out.push(`${path}: service ${f.service} + marketing ${f.marketing} ≠ total ${f.total}`);
  for (const key of ['byReason', 'bySource'] as const) {
    const parts = f[key];
    if (typeof parts === 'object' && parts !== null && typeof f.total === 'number') {
      const sum = Object.values(parts as Record<string, number>).reduce((a, b) => a + b, 0);
      if (sum !== f.total) out.push(`${path}.${key}: parts sum to ${sum} ≠ total ${f.total}`);
    }
  }
  if (isClassCount(f.human) && isClassCount(f.machine) && isClassCount(f.total)) {
    for (const c of ['total', 'service', 'marketing'] as const) {
      if (f.human[c] + f.machine[c] !== f.total[c]) out.push(`${path}.${c}: human ${f.human[c]} + machine ${f.machine[c]} ≠ total ${f.total[c]}`);
    }
  }
  for (const [k, v] of Object.entries(f)) if (typeof v === 'object' && v !== null) out.push(...figureMismatches(v, `${path}.${k}`));
  return out;
}
