/**
 * Capacity units as DynamoDB charges them, where DynamoDB Local reports something else (bench/campaign.ts counts every
 * call's units for the cost model: docs/SCALING.md).
 */
/**
 * The bytes DynamoDB counts for an item (attribute names and values, its sizing rules approximated: a number's
 * significant digits / 2 + 1, 3 bytes for a map or list and 1 per element), from the item as a store sends it:
 * native values (the document client) or AttributeValues (the lean client, DynamoDB's JSON).
 */
export function itemBytes(item: Record<string, unknown>): number {
  const value = (v: unknown): number => {
    if (v === null || v === undefined || typeof v === 'boolean') return 1;
    if (typeof v === 'string') return Buffer.byteLength(v);
    if (typeof v === 'number' || typeof v === 'bigint') return Math.ceil(String(v).replace(/[-.]|e.*$/gi, '').replace(/^0+/, '').length / 2) + 1;
    if (v instanceof Uint8Array) return v.byteLength;
    if (v instanceof Set) return [...v].reduce((n: number, e) => n + value(e), 0);
    if (Array.isArray(v)) return 3 + v.reduce((n: number, e) => n + 1 + value(e), 0);
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    // An AttributeValue ({ S: '…' }, { N: '12' }, { M: {…} }): its value's size.
    if (keys.length === 1 && ['S', 'B', 'BOOL', 'NULL', 'SS', 'BS', 'NS', 'L', 'M', 'N'].includes(keys[0]!)) {
      const [k, inner] = [keys[0]!, o[keys[0]!]];
      if (k === 'N') return value(Number(inner));
      if (k === 'NS') return (inner as string[]).reduce((n, e) => n + value(Number(e)), 0);
      if (k === 'M') return 3 + Object.entries(inner as Record<string, unknown>).reduce((n, [name, e]) => n + 1 + Buffer.byteLength(name) + value(e), 0);
      return value(inner);
    }
    return 3 + Object.entries(o).reduce((n, [name, e]) => n + 1 + Buffer.byteLength(name) + value(e), 0);
  };
  return Object.entries(item).reduce((n, [name, v]) => n + Buffer.byteLength(name) + value(v), 0);
}

/**
 * A TransactWriteItems' write units as DynamoDB charges them: 2 per item and KB, each item rounded up on its own. DynamoDB
 * Local reports instead, per table, 4 × the largest item's KB however many items there are (measured: 1 to 4 small
 * items, 4 each time; 1 or 2 puts of 3 KB, 12). A put's size is in the request; an update's, delete's or condition
 * check's is not: 1 KB, unless the table's reported largest item is larger than every put's, then that size (an upper
 * bound).
 */
export function transactionWriteUnits(input: Record<string, unknown> | undefined, consumed: ReadonlyArray<{ TableName?: string; CapacityUnits?: number }>): number {
  const items = (input?.TransactItems ?? []) as Array<Record<string, { TableName?: string; Item?: Record<string, unknown> }>>;
  let units = 0;
  for (const table of new Set(items.map((i) => Object.values(i)[0]?.TableName))) {
    const inTable = items.map((i) => Object.values(i)[0]).filter((a) => a?.TableName === table);
    const putKb = inTable.filter((a) => a?.Item).map((a) => Math.max(1, Math.ceil(itemBytes(a!.Item!) / 1024)));
    const largestReported = (consumed.find((c) => c.TableName === table)?.CapacityUnits ?? 4) / 4;
    const otherKb = largestReported > Math.max(0, ...putKb) ? largestReported : 1;
    units += 2 * (putKb.reduce((a, b) => a + b, 0) + (inTable.length - putKb.length) * otherKb);
  }
  return units;
}
