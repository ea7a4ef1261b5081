/**
 * Every way the figures of `GET /v1/metrics` can fail to add up: a class part that does not sum to its total, a
 * breakdown (hold reasons, unsubscribe sources, suppression reasons) that does not sum to its figure, or human and
 * machine engagement that do not sum to the total. Empty when everything adds up.
 */
export function figureMismatches(figures: unknown, path = 'figures'): string[] {
  const out: string[] = [];
  if (typeof figures !== 'object' || figures === null) return out;
  const f: Record<string, unknown> = figures as Record<string, unknown>;
  const isClassCount = (v: unknown): v is { total: number; service: number; marketing: number } =>
    typeof v === 'object' && v !== null && ['total', 'service', 'marketing'].every((k) => typeof (v as Record<string, unknown>)[k] === 'number');
  if (isClassCount(figures) && figures.service + figures.marketing !== figures.total) out.push(`${path}: service ${figures.service} + marketing ${figures.marketing} ≠ total ${figures.total}`);
  for (const key of ['byReason', 'bySource'] as const) {
    const parts = f[key];
    if (typeof parts === 'object' && parts !== null && typeof f.total === 'number') {
      const sum = Object.values(parts as Record<string, number>).reduce((a, b) => a + b, 0);
      if (sum !== f.total) out.push(`${path}.${key}: parts sum to ${sum} ≠ total ${f.total}`);
    }
  }
  const { human, machine, total } = f as Record<string, unknown>;
  if (isClassCount(human) && isClassCount(machine) && isClassCount(total)) {
    for (const c of ['total', 'service', 'marketing'] as const) {
      if (human[c] + machine[c] !== total[c]) out.push(`${path}.${c}: human ${human[c]} + machine ${machine[c]} ≠ total ${total[c]}`);
    }
  }
  for (const [k, v] of Object.entries(f)) if (typeof v === 'object' && v !== null) out.push(...figureMismatches(v, `${path}.${k}`));
  return out;
}
