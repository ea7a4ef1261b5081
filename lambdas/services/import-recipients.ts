/**
 * Bulk import of recipients from JSON lines or CSV, thousands per request, with a result per row. Rows with the same
 * normalized address (in the file or already stored) are merged, not doubled. An imported opt-in needs evidence
 * (when it was given); without it the opt-in is not applied and the row says so: an import never makes anyone
 * mailable without proof. Where confirmation is required and the evidence does not include it, the opt-in is stored
 * as `pending` (no confirmation mail is sent from an import; that is a campaign decision).
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { z } from 'zod';
import type { ConsentStatus } from '../domain/decide.ts';
import { addressHash } from '../domain/email-address.ts';
import { SendwellError } from '../domain/errors.ts';
import { jurisdictionFor } from '../domain/jurisdiction.ts';
import type { ConsentWrite } from '../adapters/dynamo/recipient-store.ts';
import { AttributesSchema, CountrySchema, IsoDateTimeSchema, LocaleSchema, SlugSchema, TimeZoneSchema } from '../schemas/fields.ts';
import type { LedgerEntry, Topic } from '../schemas/model.ts';
import type { Actor, Deps } from './deps.ts';
import { createRecipientRecord, ledgerEntry, normalizeOrReject, type InitialConsent } from './recipient-records.ts';

export const MAX_IMPORT_ROWS = 10_000;

const ImportConsentSchema = z.object({
  status: z.enum(['opted_in', 'opted_out']),
  at: IsoDateTimeSchema.optional(),
  confirmedAt: IsoDateTimeSchema.optional(),
  source: z.string().max(100).optional(),
  wording: z.string().max(200).optional(),
});

export const ImportRowSchema = z.object({
  email: z.string().min(1, 'email is required').max(320),
  externalId: z.string().max(128).optional(),
  country: CountrySchema.optional(),
  locale: LocaleSchema.optional(),
  timeZone: TimeZoneSchema.optional(),
  attributes: AttributesSchema.optional(),
  consents: z.record(SlugSchema, ImportConsentSchema).optional(),
});
export type ImportRow = z.infer<typeof ImportRowSchema>;

export interface ImportReport {
  readonly rows: number;
  created: number;
  updated: number;
  unchanged: number;
  readonly rejected: Array<{ line: number; reason: string }>;
  readonly warnings: Array<{ line: number; message: string }>;
}

export type ImportFormat = 'jsonl' | 'csv';

/** The format from the content type: `text/csv` → CSV; JSON lines otherwise (`application/x-ndjson`, `application/jsonl`). */
export function importFormat(contentType: string | undefined): ImportFormat {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'text/csv' || type === 'application/csv') return 'csv';
  if (['application/x-ndjson', 'application/jsonl', 'application/x-jsonlines', 'application/json', 'text/plain', ''].includes(type)) return 'jsonl';
  throw new SendwellError('unsupported_media_type', 'Send JSON lines (`application/x-ndjson`) or CSV (`text/csv`).');
}

type Parsed = { line: number; row?: unknown; error?: string };

function parseJsonLines(body: string): Parsed[] {
  const out: Parsed[] = [];
  body.split(/\r?\n/).forEach((text, i) => {
    if (text.trim() === '') return;
    try {
      out.push({ line: i + 1, row: JSON.parse(text) as unknown });
    } catch {
      out.push({ line: i + 1, error: 'not valid JSON' });
    }
  });
  return out;
}

const CSV_FIELDS: Record<string, keyof ImportRow> = {
  email: 'email',
  external_id: 'externalId',
  externalid: 'externalId',
  country: 'country',
  locale: 'locale',
  time_zone: 'timeZone',
  timezone: 'timeZone',
};

/**
 * CSV with a header row: `email`, `external_id`, `country`, `locale`, `time_zone`; `topic:<id>` columns holding `opted_in` or
 * `opted_out`; `consent_at`, `consent_confirmed_at`, `consent_source`, `consent_wording` for their evidence;
 * every other column (or `attr:<name>`) is an attribute.
 */
function parseCsvRows(body: string): Parsed[] {
  let records: string[][];
  try {
    records = parseCsv(body, { relax_column_count: true, skip_empty_lines: true, trim: true, bom: true }) as string[][];
  } catch (e) {
    throw new SendwellError('bad_request', 'The CSV cannot be read.', [{ message: (e as Error).message }]);
  }
  const [header, ...rows] = records;
  if (!header?.some((h) => h.toLowerCase() === 'email')) {
    throw new SendwellError('validation_failed', 'The CSV needs a header row with an `email` column.', [{ path: 'line 1', message: 'no email column' }]);
  }
  const names = header.map((h) => h.trim());
  return rows.map((cells, i) => {
    const row: Record<string, unknown> = {};
    const attributes: Record<string, string> = {};
    const consents: Record<string, Record<string, string>> = {};
    const evidence: Record<string, string> = {};
    names.forEach((name, c) => {
      const value = cells[c] ?? '';
      if (value === '') return;
      const lower = name.toLowerCase();
      const field = CSV_FIELDS[lower];
      if (field) row[field] = value;
      else if (lower.startsWith('topic:')) consents[name.slice(6)] = { status: value };
      else if (lower.startsWith('consent_')) evidence[lower.slice(8)] = value;
      else attributes[lower.startsWith('attr:') ? name.slice(5) : name] = value;
    });
    for (const c of Object.values(consents)) {
      if (evidence.at) c.at = evidence.at;
      if (evidence.confirmed_at) c.confirmedAt = evidence.confirmed_at;
      if (evidence.source) c.source = evidence.source;
      if (evidence.wording) c.wording = evidence.wording;
    }
    if (Object.keys(attributes).length) row.attributes = attributes;
    if (Object.keys(consents).length) row.consents = consents;
    return { line: i + 2, row };
  });
}

const describe = (error: z.ZodError) => error.issues.map((i) => `${i.path.join('.') || 'row'}: ${i.message}`).join('; ');

interface MergedRow {
  readonly line: number;
  readonly lines: number[];
  row: ImportRow;
}

/** Runs `work` over `items` with at most `limit` at a time. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(workers);
}

export async function importRecipients(deps: Deps, body: string, format: ImportFormat, actor: Actor): Promise<ImportReport> {
  const parsed = format === 'csv' ? parseCsvRows(body) : parseJsonLines(body);
  if (parsed.length > MAX_IMPORT_ROWS) {
    throw new SendwellError('payload_too_large', `At most ${MAX_IMPORT_ROWS} rows per request; split the file.`, [{ message: `${parsed.length} rows` }]);
  }
  const report: ImportReport = { rows: parsed.length, created: 0, updated: 0, unchanged: 0, rejected: [], warnings: [] };
  const topics = new Map((await deps.catalog.listTopics()).map((t) => [t.id, t]));
  const keys = await deps.keys();

  // Validate and merge rows of the same address, in file order; later rows win, consents accumulate.
  const byAddress = new Map<string, MergedRow>();
  for (const p of parsed) {
    if (p.error) {
      report.rejected.push({ line: p.line, reason: p.error });
      continue;
    }
    const result = ImportRowSchema.safeParse(p.row);
    if (!result.success) {
      report.rejected.push({ line: p.line, reason: describe(result.error) });
      continue;
    }
    let address: string;
    try {
      address = normalizeOrReject(result.data.email).address;
    } catch (e) {
      report.rejected.push({ line: p.line, reason: `email: ${(e as SendwellError).details[0]?.message ?? 'not valid'}` });
      continue;
    }
    const unknown = Object.keys(result.data.consents ?? {}).filter((t) => !topics.has(t));
    if (unknown.length) {
      report.rejected.push({ line: p.line, reason: `unknown topic ${unknown.join(', ')}` });
      continue;
    }
    const seen = byAddress.get(address);
    if (seen) {
      seen.lines.push(p.line);
      const r = result.data;
      seen.row = {
        ...seen.row,
        ...r,
        attributes: { ...seen.row.attributes, ...r.attributes },
        consents: { ...seen.row.consents, ...r.consents },
      };
      report.warnings.push({ line: p.line, message: `same address as line ${seen.line}: merged into one recipient` });
    } else {
      byAddress.set(address, { line: p.line, lines: [p.line], row: result.data });
    }
  }

  const run: ImportRun = { deps, topics, pepper: keys.addressPepper, actor, report };
  await pool([...byAddress.values()], 8, async (merged) => {
    try {
      const outcome = await importOne(run, merged);
      report[outcome]++;
    } catch (e) {
      const reason = e instanceof SendwellError ? e.message : 'could not be stored; import the row again';
      report.rejected.push({ line: merged.line, reason });
    }
  });
  report.rejected.sort((a, b) => a.line - b.line);
  report.warnings.sort((a, b) => a.line - b.line);
  return report;
}

interface PlannedConsent {
  readonly topic: string;
  readonly status: ConsentStatus;
  readonly confirmedAt?: string;
  readonly at?: string;
  readonly wording?: string;
  readonly originalSource?: string;
}

function planConsents(merged: MergedRow, topics: Map<string, Topic>, country: string | undefined, report: ImportReport): PlannedConsent[] {
  const strict = jurisdictionFor(country).requiresDoubleOptIn;
  const plan: PlannedConsent[] = [];
  for (const [topic, c] of Object.entries(merged.row.consents ?? {})) {
    const evidence = { ...(c.at ? { at: c.at } : {}), ...(c.wording ? { wording: c.wording } : {}), ...(c.source ? { originalSource: c.source } : {}) };
    if (c.status === 'opted_out') {
      plan.push({ topic, status: 'opted_out', ...evidence });
      continue;
    }
    if (!c.at) {
      report.warnings.push({ line: merged.line, message: `opt-in to ${topic} not applied: no evidence (consent_at / consents.${topic}.at)` });
      continue;
    }
    const needsConfirmation = strict || topics.get(topic)?.doubleOptIn === true;
    if (needsConfirmation && !c.confirmedAt) {
      report.warnings.push({ line: merged.line, message: `opt-in to ${topic} stored as pending: confirmation required and not in the evidence` });
      plan.push({ topic, status: 'pending', ...evidence });
      continue;
    }
    plan.push({ topic, status: 'opted_in', ...(c.confirmedAt ? { confirmedAt: c.confirmedAt } : {}), ...evidence });
  }
  return plan;
}

/** What every row of one import shares. */
interface ImportRun {
  readonly deps: Deps;
  readonly topics: Map<string, Topic>;
  readonly pepper: Buffer;
  readonly actor: Actor;
  readonly report: ImportReport;
}

async function importOne(run: ImportRun, merged: MergedRow): Promise<'created' | 'updated' | 'unchanged'> {
  const { deps, topics, pepper, actor, report } = run;
  const row = merged.row;
  const n = normalizeOrReject(row.email);
  const existingId = await deps.recipients.findIdByAddressHash(addressHash(n.address, pepper));
  if (!existingId) {
    const plan = planConsents(merged, topics, row.country, report);
    const initial: InitialConsent[] = plan.map((c) => ({
      topic: c.topic,
      status: c.status,
      ...(c.confirmedAt ? { confirmedAt: c.confirmedAt } : {}),
      ...(c.at ? { evidence: { at: c.at, ...(c.wording ? { wording: c.wording } : {}) } } : {}),
    }));
    const { created } = await createRecipientRecord(
      deps,
      {
        email: row.email,
        ...(row.externalId ? { externalId: row.externalId } : {}),
        ...(row.country ? { country: row.country } : {}),
        ...(row.locale ? { locale: row.locale } : {}),
        ...(row.timeZone ? { timeZone: row.timeZone } : {}),
        ...(row.attributes ? { attributes: row.attributes } : {}),
      },
      { source: 'import', actor },
      initial,
    );
    if (created) return 'created';
  }
  return updateExisting(run, merged);
}

async function updateExisting(run: ImportRun, merged: MergedRow): Promise<'updated' | 'unchanged'> {
  const { deps, topics, pepper, actor, report } = run;
  const row = merged.row;
  const n = normalizeOrReject(row.email);
  const id = await deps.recipients.findIdByAddressHash(addressHash(n.address, pepper));
  const agg = id ? await deps.recipients.get(id) : undefined;
  if (!id || !agg) throw new SendwellError('conflict', 'The recipient changed during the import; import the row again.');
  const keys = await deps.keys();
  const at = deps.clock().toISOString();
  const country = row.country ?? agg.profile.country;
  const writes: ConsentWrite[] = [];
  const ledger: LedgerEntry[] = [];
  for (const c of planConsents(merged, topics, country, report)) {
    const current = agg.consents[c.topic];
    // Never downgrade a confirmed opt-in to pending because an older export lacks the confirmation.
    if (current?.status === c.status || (current?.status === 'opted_in' && c.status === 'pending')) continue;
    writes.push({
      previous: current?.status,
      next: { topic: c.topic, status: c.status, updatedAt: at, source: 'import', ...(c.confirmedAt ? { confirmedAt: c.confirmedAt } : {}) },
    });
    ledger.push(
      ledgerEntry(keys, { id, country }, `topic:${c.topic}`, current?.status ?? null, c.status, {
        source: 'import',
        actor,
        ...(c.at ? { evidence: { at: c.at, ...(c.wording ? { wording: c.wording } : {}) } } : {}),
        ...(c.originalSource ? { note: `original source: ${c.originalSource}` } : {}),
      }, at),
    );
  }
  const profile = {
    ...(row.externalId && row.externalId !== agg.profile.externalId ? { externalId: row.externalId } : {}),
    ...(row.country && row.country !== agg.profile.country ? { country: row.country } : {}),
    ...(row.locale && row.locale !== agg.profile.locale ? { locale: row.locale } : {}),
    ...(row.timeZone && row.timeZone !== agg.profile.timeZone ? { timeZone: row.timeZone } : {}),
    ...(row.attributes && Object.entries(row.attributes).some(([k, v]) => agg.profile.attributes[k] !== v)
      ? { attributes: { ...agg.profile.attributes, ...row.attributes } }
      : {}),
  };
  if (writes.length === 0 && Object.keys(profile).length === 0) return 'unchanged';
  await deps.recipients.apply(id, { at, profile, consents: writes, ledger });
  return 'updated';
}
