/**
 * Bulk import of recipients from JSON lines or CSV, thousands per request, with a result per row. Rows with the same
 * normalized address (in the file or already stored) are merged, not doubled. An imported opt-in needs evidence
 * (when it was given); without it the opt-in is not applied and the row says so: an import never makes anyone
 * mailable without proof. Where confirmation is required and the evidence does not include it, the opt-in is stored
 * as `pending` (no confirmation mail is sent from an import; that is a campaign decision).
 */
import * as z from 'zod';
import type { ConsentStatus } from '../domain/decide.ts';
import { addressHash } from '../domain/email-address.ts';
import { SendwellError } from '../domain/errors.ts';
import { jurisdictionFor } from '../domain/jurisdiction.ts';
import { checkJson, JSON_LIMITS } from '../domain/json-input.ts';
import { csvRecordText, parseCsv, sniffDelimiter } from '../domain/text-file.ts';
import type { ConsentWrite, SendingView, StoredProfile } from '../adapters/dynamo/recipient-store.ts';
import { AttributesSchema, CountrySchema, IsoDateTimeSchema, LocaleSchema, SlugSchema, TimeZoneSchema } from '../schemas/fields.ts';
import type { LedgerEntry, Topic } from '../schemas/model.ts';
import type { Actor, Deps } from './deps.ts';
import { logger } from '../adapters/logger.ts';
import { ledgerEntry, newRecipientRecord, normalizeOrReject, storeNewRecipient, type InitialConsent } from './recipient-records.ts';

/**
 * Rows a synchronous import (`POST /v1/recipients/import`) takes: what fits well within API Gateway's 29 s at the
 * local stack's slowest measured rate (~100 rows/s on a busy 2-core machine). Larger files go to `POST /v1/imports`.
 */
export const MAX_IMPORT_ROWS = 1_000;

const ImportConsentSchema = z.object({
  status: z.enum(['opted_in', 'opted_out']),
  at: IsoDateTimeSchema.optional(),
  confirmedAt: IsoDateTimeSchema.optional(),
  source: z.string().max(100).optional(),
  wording: z.string().max(200).optional(),
});

export const ImportRowSchema = z.object({
  email: z.string({ error: (issue) => (issue.input === undefined ? 'email is required' : undefined) }).min(1, 'email is required').max(320),
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

export type Parsed = { line: number; row?: unknown; error?: string };

/** A file read into rows: each with its line, or the reason it could not be read; and warnings about the file. */
export interface ParsedFile {
  readonly rows: Parsed[];
  readonly warnings: Array<{ line: number; message: string }>;
}

function parseJsonLines(body: string): ParsedFile {
  const rows: Parsed[] = [];
  // A byte-order mark belongs to the file, not to line 1.
  const text = body.charCodeAt(0) === 0xfeff ? body.slice(1) : body;
  // A line ends at LF, CRLF or a lone CR (classic Mac files), as in CSV: JSON text never holds a raw CR or LF.
  text.split(/\r\n|\r|\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    let row: unknown;
    try {
      row = JSON.parse(line) as unknown;
    } catch {
      rows.push({ line: i + 1, error: 'not valid JSON' });
      return;
    }
    // The same limits and number rule as every JSON body (lambdas/domain/json-input.ts).
    const problems = checkJson(row, JSON_LIMITS, 'row');
    if (problems.length) rows.push({ line: i + 1, error: problems.map((p) => `${p.path}: ${p.message}`).join('; ') });
    else rows.push({ line: i + 1, row });
  });
  return { rows, warnings: [] };
}

/** What AttributesSchema allows in one row, and PATCH /v1/recipients/{id} in a recipient (services/recipients.ts). */
const MAX_ATTRIBUTES = 50;

/**
 * Bytes of a CSV header row, at most (as `csvRecordText` writes it back; the same as the file's for any ordinary
 * header). An uploaded file's job keeps its header to read later pieces under (import-store's `upload.header`), in an
 * item DynamoDB caps at 400 KB; one rule for every way in, so a file one way takes is never refused another way.
 * Thousands of columns fit.
 */
export const MAX_HEADER_BYTES = 100_000;

const CSV_FIELDS: Record<string, keyof ImportRow> = {
  email: 'email',
  external_id: 'externalId',
  externalid: 'externalId',
  country: 'country',
  locale: 'locale',
  time_zone: 'timeZone',
  timezone: 'timeZone',
};
/** The field a CSV column (or a JSON-lines key) spelled `name` is, in any case; own keys only (`constructor` is none). */
const csvField = (name: string): keyof ImportRow | undefined => (Object.hasOwn(CSV_FIELDS, name.toLowerCase()) ? CSV_FIELDS[name.toLowerCase()] : undefined);
const EVIDENCE_COLUMNS = new Set(['at', 'confirmed_at', 'source', 'wording']);
const ATTRIBUTE_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

type Column = { kind: 'field'; field: keyof ImportRow } | { kind: 'topic'; topic: string } | { kind: 'evidence'; name: string } | { kind: 'attribute'; name: string } | { kind: 'ignored' };

/**
 * What each header column is. Columns that are none of the known ones and cannot be an attribute (an empty name, a
 * name with spaces, an unknown `consent_*`) are ignored — with a warning on line 1 naming each, never silently.
 */
function classifyColumns(header: readonly string[], warnings: Array<{ line: number; message: string }>): Column[] {
  const seen = new Set<string>();
  return header.map((raw, i) => {
    const name = raw.trim();
    const lower = name.toLowerCase();
    if (seen.has(lower)) {
      warnings.push({ line: 1, message: `column ${i + 1} ("${name}") repeats an earlier column: ignored` });
      return { kind: 'ignored' };
    }
    seen.add(lower);
    const field = csvField(lower);
    if (field) return { kind: 'field', field };
    if (lower.startsWith('topic:')) return { kind: 'topic', topic: name.slice(6) };
    if (lower.startsWith('consent_')) {
      if (EVIDENCE_COLUMNS.has(lower.slice(8))) return { kind: 'evidence', name: lower.slice(8) };
      warnings.push({ line: 1, message: `unknown column "${name}" ignored: consent columns are consent_at, consent_confirmed_at, consent_source, consent_wording` });
      return { kind: 'ignored' };
    }
    const attr = lower.startsWith('attr:') ? name.slice(5) : name;
    if (ATTRIBUTE_NAME.test(attr)) return { kind: 'attribute', name: attr };
    warnings.push({ line: 1, message: `unknown column ${name ? `"${name.slice(0, 64)}"` : `${i + 1} (no name)`} ignored: not a field, a topic:<id> or a valid attribute name (1-64 letters, digits, _ . -)` });
    return { kind: 'ignored' };
  });
}

/**
 * CSV with a header row: `email`, `external_id`, `country`, `locale`, `time_zone`; `topic:<id>` columns holding `opted_in` or
 * `opted_out`; `consent_at`, `consent_confirmed_at`, `consent_source`, `consent_wording` for their evidence;
 * every other column (or `attr:<name>`) is an attribute. The delimiter (`,` `;` tab) is sniffed from the header; a
 * row with a broken quote is rejected on its own; cells beyond the header are reported.
 */
function parseCsvRows(body: string): ParsedFile {
  const text = body.charCodeAt(0) === 0xfeff ? body.slice(1) : body;
  const delimiter = sniffDelimiter(text);
  const records = parseCsv(text, delimiter);
  const first = records[0];
  if (!first || 'error' in first || !first.cells.some((h) => h.trim().toLowerCase() === 'email')) {
    throw new SendwellError('validation_failed', 'The CSV needs a header row with an `email` column (comma, semicolon or tab separated).', [
      { path: 'line 1', message: first && 'error' in first ? first.error : 'no email column' },
    ]);
  }
  const headerBytes = new TextEncoder().encode(csvRecordText(first.cells, delimiter)).length;
  if (headerBytes > MAX_HEADER_BYTES) {
    throw new SendwellError('validation_failed', `The CSV header row is too long: a header row takes at most ${MAX_HEADER_BYTES} bytes.`, [
      { path: 'line 1', message: `${headerBytes} bytes; at most ${MAX_HEADER_BYTES}` },
    ]);
  }
  const warnings: Array<{ line: number; message: string }> = [];
  const columns = classifyColumns(first.cells, warnings);
  const rows = records.slice(1).map((rec): Parsed => {
    if ('error' in rec) return { line: rec.line, error: `CSV: ${rec.error}` };
    // A row of delimiters only (`,,,`, as spreadsheets write below the data) is a blank line: skipped, not rejected.
    if (rec.cells.every((c) => c.trim() === '')) return { line: rec.line };
    const row: Record<string, unknown> = {};
    const attributes: Record<string, string> = {};
    const consents: Record<string, Record<string, string>> = {};
    const evidence: Record<string, string> = {};
    if (rec.cells.length > columns.length && rec.cells.slice(columns.length).some((c) => c !== '')) {
      warnings.push({ line: rec.line, message: `${rec.cells.length - columns.length} cell(s) beyond the header's ${columns.length} columns ignored` });
    }
    columns.forEach((col, c) => {
      const value = rec.cells[c] ?? '';
      if (value === '') return;
      if (col.kind === 'field') row[col.field] = value;
      else if (col.kind === 'topic') consents[col.topic] = { status: value };
      else if (col.kind === 'evidence') evidence[col.name] = value;
      else if (col.kind === 'attribute') attributes[col.name] = value;
    });
    for (const c of Object.values(consents)) {
      if (evidence.at) c.at = evidence.at;
      if (evidence.confirmed_at) c.confirmedAt = evidence.confirmed_at;
      if (evidence.source) c.source = evidence.source;
      if (evidence.wording) c.wording = evidence.wording;
    }
    if (Object.keys(attributes).length) row.attributes = attributes;
    if (Object.keys(consents).length) row.consents = consents;
    return { line: rec.line, row };
  });
  return { rows: rows.filter((r) => r.row !== undefined || r.error !== undefined), warnings };
}

/** Reads an import file (already decoded to text) into rows with their lines. */
export function parseImportFile(text: string, format: ImportFormat): ParsedFile {
  return format === 'csv' ? parseCsvRows(text) : parseJsonLines(text);
}

const ROW_FIELDS = new Set<string>(Object.keys(ImportRowSchema.shape));
const CONSENT_FIELDS = new Set<string>(Object.keys(ImportConsentSchema.shape));
/** Of a consent's `evidence` (as `PUT /v1/recipients/{id}/consents/{topic}` takes it), what an import keeps. */
const EVIDENCE_FIELDS = new Set(['at', 'confirmedAt', 'wording']);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A row as the schema reads it, and the keys it leaves out. The CSV's spellings of fields (`external_id`,
 * `timezone`, `Email`) are aliases; a consent's `evidence: {at, wording}` (the shape the consents endpoint takes) is
 * read as its evidence, not as none. Any other key is named, never dropped silently as zod would.
 */
function readRow(raw: unknown): { row: unknown; ignored: string[] } {
  if (!isObject(raw)) return { row: raw, ignored: [] };
  const row: Record<string, unknown> = {};
  const ignored: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const field = ROW_FIELDS.has(key) ? key : csvField(key);
    if (!field) ignored.push(key);
    // Two spellings of one field: the canonical one wins, whichever comes first.
    else if (Object.hasOwn(row, field) || (field !== key && Object.hasOwn(raw, field))) ignored.push(`${key} (${field} given too)`);
    else row[field] = value;
  }
  if (isObject(row.consents)) {
    row.consents = Object.fromEntries(Object.entries(row.consents).map(([topic, c]) => [topic, readConsent(c, `consents.${topic}`, ignored)]));
  }
  return { row, ignored };
}

function readConsent(c: unknown, path: string, ignored: string[]): unknown {
  if (!isObject(c)) return c;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(c)) {
    if (CONSENT_FIELDS.has(key)) out[key] = value;
    else if (key !== 'evidence') ignored.push(`${path}.${key}`);
  }
  if (c.evidence === undefined) return out;
  if (!isObject(c.evidence)) {
    ignored.push(`${path}.evidence (not an object)`);
    return out;
  }
  for (const [key, value] of Object.entries(c.evidence)) {
    if (!EVIDENCE_FIELDS.has(key)) ignored.push(`${path}.evidence.${key}`);
    else if (Object.hasOwn(out, key)) ignored.push(`${path}.evidence.${key} (${path}.${key} given too)`);
    else out[key] = value;
  }
  return out;
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
  const file = parseImportFile(body, format);
  if (file.rows.length > MAX_IMPORT_ROWS) {
    throw new SendwellError(
      'payload_too_large',
      `At most ${MAX_IMPORT_ROWS} rows per request here; send larger files to POST /v1/imports (an import job, any size, with a per-row report).`,
      [{ path: 'body', message: `${file.rows.length} rows; at most ${MAX_IMPORT_ROWS}` }],
    );
  }
  return importParsedRows(deps, file.rows, actor, [...file.warnings]);
}

/**
 * Imports rows already read from a file (a whole small file, or one step of an import job): validated, merged by
 * address within `parsed`, then stored. `warnings` are the file's own, carried into the report. `origin` (an import
 * job's id) takes the job's faster way to create recipients ({@link createClaimed}): a step done again after a crash
 * finds its own claims and completes them, so its counts are exact too. `likelyNew` (a job whose rows so far were all
 * new): the claims are tried before anything is read, and only the addresses found taken are read.
 */
export async function importParsedRows(
  deps: Deps,
  parsed: readonly Parsed[],
  actor: Actor,
  warnings: Array<{ line: number; message: string }> = [],
  origin?: string,
  likelyNew = false,
): Promise<ImportReport> {
  const report: ImportReport = { rows: parsed.length, created: 0, updated: 0, unchanged: 0, rejected: [], warnings };
  const topics = new Map((await deps.catalog.listTopics()).map((t) => [t.id, t]));
  const keys = await deps.keys();

  // Validate and merge rows of the same address, in file order; later rows win, consents accumulate.
  const byAddress = new Map<string, MergedRow>();
  for (const p of parsed) {
    if (p.error) {
      report.rejected.push({ line: p.line, reason: p.error });
      continue;
    }
    const read = readRow(p.row);
    const result = ImportRowSchema.safeParse(read.row);
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
      const r = result.data;
      const attributes = { ...seen.row.attributes, ...r.attributes };
      if (Object.keys(attributes).length > MAX_ATTRIBUTES) {
        report.rejected.push({ line: p.line, reason: `attributes: at most ${MAX_ATTRIBUTES} attributes, ${Object.keys(attributes).length} with line ${seen.line} (the same address)` });
        continue;
      }
      seen.lines.push(p.line);
      seen.row = { ...seen.row, ...r, attributes, consents: { ...seen.row.consents, ...r.consents } };
      report.warnings.push({ line: p.line, message: `same address as line ${seen.line}: merged into one recipient` });
    } else {
      byAddress.set(address, { line: p.line, lines: [p.line], row: result.data });
    }
    if (read.ignored.length) {
      report.warnings.push({ line: p.line, message: `ignored, not fields of an import row: ${read.ignored.join(', ')} (your own fields go in attributes)` });
    }
  }

  const hashOf = (address: string) => addressHash(address, keys.addressPepper);
  const all = [...byAddress.entries()];
  let oneByOne: MergedRow[];
  let run: ImportRun;
  if (origin === undefined) {
    // Which addresses are taken, in one batch read: a new address is then one transaction, nothing else.
    const claimed = await deps.recipients.findIdsByAddressHashes(all.map(([a]) => hashOf(a)));
    run = { deps, topics, pepper: keys.addressPepper, actor, report, claimed, keys, current: new Map() };
    const fresh = all.filter(([address]) => !claimed.has(hashOf(address))).map(([, m]) => m);
    oneByOne = all.filter(([address]) => claimed.has(hashOf(address))).map(([, m]) => m);
    try {
      oneByOne = [...oneByOne, ...(await createFresh(run, fresh))];
    } catch (e) {
      // The batch path failed on infrastructure: every fresh row goes the one-by-one way (each is idempotent).
      logger.warn('import: batch create failed, creating one by one', { error: e as Error });
      oneByOne = [...oneByOne, ...fresh];
    }
  } else {
    let rest = all;
    if (likelyNew) {
      // Claimed without a read first: a claim only succeeds on a free address, and the cancelled ones name the
      // addresses taken (by another recipient, or by this very step before a crash), which are read and go on below.
      const base: ImportRun = { deps, topics, pepper: keys.addressPepper, actor, report, claimed: new Map(), keys, current: new Map() };
      const taken = new Set((await createClaimed(base, all.map(([, m]) => m), origin)).map((m) => m.line));
      rest = all.filter(([, m]) => taken.has(m.line));
    }
    // The claims, then the recipients behind them with the consents the step names, in batch reads: an update then
    // needs no read of its own, an unchanged row no call at all.
    const claims = rest.length ? await deps.recipients.claims(rest.map(([a]) => hashOf(a))) : new Map<string, { recipientId: string; createdAt: string; origin?: string }>();
    const named = [...new Set(rest.flatMap(([, m]) => Object.keys(m.row.consents ?? {})))];
    const ids = [...new Set([...claims.values()].map((c) => c.recipientId))];
    const views = ids.length ? await deps.recipients.getForSending(ids, undefined, named) : new Map<string, SendingView>();
    const current = new Map<string, Current>();
    for (const [hash, c] of claims) {
      const v = views.get(c.recipientId);
      if (v) current.set(hash, { id: c.recipientId, profile: v.profile, consents: Object.fromEntries(Object.entries(v.otherConsents ?? {}).map(([t, status]) => [t, { status }])) });
    }
    run = { deps, topics, pepper: keys.addressPepper, actor, report, claimed: new Map([...claims].map(([h, c]) => [h, c.recipientId])), keys, current };
    const fresh: MergedRow[] = [];
    const redo: Array<{ merged: MergedRow; id: string; at: string }> = [];
    oneByOne = [];
    for (const [address, merged] of rest) {
      const claim = claims.get(hashOf(address));
      if (!claim) fresh.push(merged);
      // This very row claimed the address in an earlier try of this step: it was created then, or is finished now.
      else if (claim.origin === `${origin}:${merged.line}`) redo.push({ merged, id: claim.recipientId, at: claim.createdAt });
      else oneByOne.push(merged);
    }
    await finishClaimed(run, redo);
    oneByOne.push(...(await createClaimed(run, fresh, origin)));
  }
  await pool(oneByOne, 8, async (merged) => {
    try {
      const outcome = await importOne(run, merged);
      report[outcome]++;
    } catch (e) {
      // Input problems are the row's; anything else is ours, logged, and the row is safe to import again.
      if (!(e instanceof SendwellError)) logger.error('import row failed', { error: e as Error, line: merged.line });
      const reason = e instanceof SendwellError ? e.message : 'could not be stored because of a fault on our side; import the row again';
      report.rejected.push({ line: merged.line, reason });
    }
  });
  report.rejected.sort((a, b) => a.line - b.line);
  report.warnings.sort((a, b) => a.line - b.line);
  return report;
}

/**
 * A recipient as a read found it: enough to decide an update (profile, consents of the step's topics). A batch read
 * has the statuses only; when it was changed is read for the rows that would change one ({@link updateExisting}).
 */
interface Current {
  readonly id: string;
  readonly profile: StoredProfile;
  readonly consents: Readonly<Record<string, { readonly status: string; readonly updatedAt?: string }>>;
}

/**
 * An import job's new recipients: address claims first (conditional, in transactions of claims alone), then every
 * other item in batch writes, profiles last (`RecipientStore.claimMany`). Returns the rows whose address was taken
 * meanwhile, for the one-by-one way.
 */
async function createClaimed(run: ImportRun, fresh: readonly MergedRow[], origin: string): Promise<MergedRow[]> {
  const records = fresh.map((merged) => {
    const scratch: ImportReport = { rows: 0, created: 0, updated: 0, unchanged: 0, rejected: [], warnings: [] };
    const { input, initial } = newRowInput(run, merged, scratch);
    return { merged, warnings: scratch.warnings, record: newRecipientRecord(run.deps, run.keys, input, { source: 'import', actor: run.actor }, initial) };
  });
  // A recipient's ledger entries go in its claim's transaction (100 items at most), so are written once it is won.
  const withClaim = (r: (typeof records)[number]) => r.record.ledger.length < 100;
  const { taken } = await run.deps.recipients.claimMany(
    records.map((r) => ({
      addressHash: r.record.profile.addressHash,
      recipientId: r.record.profile.id,
      createdAt: r.record.profile.createdAt,
      origin: `${origin}:${r.merged.line}`,
      ...(withClaim(r) ? { ledger: r.record.ledger } : {}),
    })),
  );
  const won = records.filter((r) => !taken.has(r.record.profile.addressHash));
  await run.deps.recipients.writeClaimed(won.map((r) => ({ profile: r.record.profile, consents: r.record.stored, ledger: withClaim(r) ? [] : r.record.ledger })));
  for (const r of won) {
    run.report.created++;
    run.report.warnings.push(...r.warnings);
  }
  return records.filter((r) => taken.has(r.record.profile.addressHash)).map((r) => r.merged);
}

/**
 * Rows this step claimed in an earlier try: those without a profile are written again with the claim's id and time
 * (the same keys, so nothing is doubled); all count as created, as the first try would have counted them.
 */
async function finishClaimed(run: ImportRun, redo: ReadonlyArray<{ merged: MergedRow; id: string; at: string }>): Promise<void> {
  const missing = [];
  for (const r of redo) {
    const { input, initial } = newRowInput(run, r.merged, run.report);
    if (run.current.has(addressHash(normalizeOrReject(r.merged.row.email).address, run.pepper))) continue;
    missing.push(newRecipientRecord(run.deps, run.keys, input, { source: 'import', actor: run.actor }, initial, { id: r.id, at: r.at }));
  }
  await run.deps.recipients.writeClaimed(missing.map((m) => ({ profile: m.profile, consents: m.stored, ledger: m.ledger })));
  run.report.created += redo.length;
}

interface PlannedConsent {
  readonly topic: string;
  readonly status: ConsentStatus;
  readonly confirmedAt?: string;
  readonly at?: string;
  readonly wording?: string;
  readonly originalSource?: string;
}

/**
 * What the row's consents become, with at most one warning per kind for the row (naming every topic it is about):
 * one per topic would, over many topic columns, grow a job's report past what it can store.
 */
function planConsents(merged: MergedRow, topics: Map<string, Topic>, country: string | undefined, report: ImportReport): PlannedConsent[] {
  const strict = jurisdictionFor(country).requiresDoubleOptIn;
  const plan: PlannedConsent[] = [];
  const unproven: string[] = [];
  const pending: string[] = [];
  for (const [topic, c] of Object.entries(merged.row.consents ?? {})) {
    const evidence = { ...(c.at ? { at: c.at } : {}), ...(c.wording ? { wording: c.wording } : {}), ...(c.source ? { originalSource: c.source } : {}) };
    if (c.status === 'opted_out') {
      plan.push({ topic, status: 'opted_out', ...evidence });
      continue;
    }
    if (!c.at) {
      unproven.push(topic);
      continue;
    }
    const needsConfirmation = strict || topics.get(topic)?.doubleOptIn === true;
    if (needsConfirmation && !c.confirmedAt) {
      pending.push(topic);
      plan.push({ topic, status: 'pending', ...evidence });
      continue;
    }
    plan.push({ topic, status: 'opted_in', ...(c.confirmedAt ? { confirmedAt: c.confirmedAt } : {}), ...evidence });
  }
  if (unproven.length) {
    const where = unproven.length === 1 ? `consents.${unproven[0]}.at` : 'consents.<topic>.at';
    report.warnings.push({ line: merged.line, message: `opt-in to ${unproven.join(', ')} not applied: no evidence (consent_at / ${where})` });
  }
  if (pending.length) {
    report.warnings.push({ line: merged.line, message: `opt-in to ${pending.join(', ')} stored as pending: confirmation required and not in the evidence` });
  }
  return plan;
}

/** When the row's evidence speaks for: its confirmation if later than the consent itself (absent: no evidence). */
const evidenceTime = (c: PlannedConsent): string | undefined =>
  c.confirmedAt && (!c.at || Date.parse(c.confirmedAt) > Date.parse(c.at)) ? c.confirmedAt : c.at;

/** What every row of one import shares. */
interface ImportRun {
  readonly deps: Deps;
  readonly topics: Map<string, Topic>;
  readonly pepper: Buffer;
  readonly actor: Actor;
  readonly report: ImportReport;
  /** Address hash → recipient id, for the addresses taken when the batch was read. */
  readonly claimed: ReadonlyMap<string, string>;
  readonly keys: Awaited<ReturnType<Deps['keys']>>;
  /** Address hash → the recipient as a batch read found it (import jobs); absent: read when needed. */
  readonly current: ReadonlyMap<string, Current>;
}

/** What a new recipient of this row is created with: its fields and its initial consents (warnings go to `report`). */
function newRowInput(run: ImportRun, merged: MergedRow, report: ImportReport) {
  const row = merged.row;
  const plan = planConsents(merged, run.topics, row.country, report);
  const initial: InitialConsent[] = plan.map((c) => ({
    topic: c.topic,
    status: c.status,
    ...(c.confirmedAt ? { confirmedAt: c.confirmedAt } : {}),
    ...(c.at ? { evidence: { at: c.at, ...(c.wording ? { wording: c.wording } : {}) } } : {}),
  }));
  const input = {
    email: row.email,
    ...(row.externalId ? { externalId: row.externalId } : {}),
    ...(row.country ? { country: row.country } : {}),
    ...(row.locale ? { locale: row.locale } : {}),
    ...(row.timeZone ? { timeZone: row.timeZone } : {}),
    ...(row.attributes ? { attributes: row.attributes } : {}),
  };
  return { input, initial };
}

/**
 * The rows whose address was free when the batch was read, created together in as few transactions as fit
 * (`createMany`). Returns the rows still to do one by one: those of a transaction that found an address taken
 * meanwhile (nothing of it was written).
 */
async function createFresh(run: ImportRun, fresh: readonly MergedRow[]): Promise<MergedRow[]> {
  const records = fresh.map((merged) => {
    const scratch: ImportReport = { rows: 0, created: 0, updated: 0, unchanged: 0, rejected: [], warnings: [] };
    const { input, initial } = newRowInput(run, merged, scratch);
    return { merged, warnings: scratch.warnings, record: newRecipientRecord(run.deps, run.keys, input, { source: 'import', actor: run.actor }, initial) };
  });
  const { created } = await run.deps.recipients.createMany(records.map((r) => ({ profile: r.record.profile, consents: r.record.stored, ledger: r.record.ledger })));
  const done = new Set(created);
  const rest: MergedRow[] = [];
  for (const r of records) {
    if (done.has(r.record.profile.id)) {
      run.report.created++;
      run.report.warnings.push(...r.warnings);
    } else {
      rest.push(r.merged);
    }
  }
  return rest;
}

async function importOne(run: ImportRun, merged: MergedRow): Promise<'created' | 'updated' | 'unchanged'> {
  const n = normalizeOrReject(merged.row.email);
  const existingId = run.claimed.get(addressHash(n.address, run.pepper));
  if (!existingId) {
    const { input, initial } = newRowInput(run, merged, run.report);
    const result = await storeNewRecipient(run.deps, run.keys, input, { source: 'import', actor: run.actor }, initial);
    if (result.created) return 'created';
  }
  return updateExisting(run, merged);
}

async function updateExisting(run: ImportRun, merged: MergedRow): Promise<'updated' | 'unchanged'> {
  const { deps, topics, pepper, actor, report } = run;
  const row = merged.row;
  const n = normalizeOrReject(row.email);
  const hash = addressHash(n.address, pepper);
  let found = run.current.get(hash);
  if (!found) {
    const id = await deps.recipients.findIdByAddressHash(hash);
    const agg = id ? await deps.recipients.get(id) : undefined;
    if (id && agg) found = { id, profile: agg.profile, consents: agg.consents };
  }
  if (!found) throw new SendwellError('conflict', 'The recipient changed during the import; import the row again.');
  const { id } = found;
  const agg = { profile: found.profile };
  const keys = await deps.keys();
  const at = deps.clock().toISOString();
  const country = row.country ?? agg.profile.country;
  if (row.attributes) {
    // As PATCH counts them, after the change; a row that adds no new name is let through (it leaves no more than before).
    const before = Object.keys(agg.profile.attributes ?? {}).length;
    const after = new Set([...Object.keys(agg.profile.attributes ?? {}), ...Object.keys(row.attributes)]);
    if (after.size > MAX_ATTRIBUTES && after.size > before) {
      throw new SendwellError('validation_failed', `attributes: a recipient has at most ${MAX_ATTRIBUTES} attributes; this row would leave ${after.size}`);
    }
  }
  // Same status, or a confirmed opt-in the row would make pending (an older export lacking the confirmation): kept.
  const changes = (c: PlannedConsent, status: string | undefined) => status !== c.status && !(status === 'opted_in' && c.status === 'pending');
  const plan = planConsents(merged, topics, country, report);
  let stored = found.consents;
  // A batch read has the statuses only: when one would change on evidence, read when it was last changed.
  if (plan.some((c) => { const s = stored[c.topic]; return s && !s.updatedAt && evidenceTime(c) && changes(c, s.status); })) {
    const fresh = await deps.recipients.get(id);
    if (fresh) stored = fresh.consents;
  }
  const writes: ConsentWrite[] = [];
  const ledger: LedgerEntry[] = [];
  const older: string[] = [];
  for (const c of plan) {
    const current = stored[c.topic];
    const status = current?.status as ConsentStatus | undefined;
    if (!changes(c, status)) continue;
    // An opt-out stored after the row's evidence was given is newer than the row: an old export imported again must
    // not undo it. Only that: an opt-out always applies (mailing less is never the wrong way to err), and a pending
    // opt-in may be confirmed by an import whose evidence predates it (the stored time is when Sendwell recorded it).
    const given = evidenceTime(c);
    if (c.status !== 'opted_out' && status === 'opted_out' && given && current?.updatedAt && Date.parse(given) < Date.parse(current.updatedAt)) {
      older.push(`${c.topic} (${c.status} of ${given}, stored ${status} since ${current.updatedAt})`);
      continue;
    }
    writes.push({
      previous: status,
      next: { topic: c.topic, status: c.status, updatedAt: at, source: 'import', ...(c.confirmedAt ? { confirmedAt: c.confirmedAt } : {}) },
    });
    ledger.push(
      ledgerEntry(keys, { id, country }, `topic:${c.topic}`, status ?? null, c.status, {
        source: 'import',
        actor,
        ...(c.at ? { evidence: { at: c.at, ...(c.wording ? { wording: c.wording } : {}) } } : {}),
        ...(c.originalSource ? { note: `original source: ${c.originalSource}` } : {}),
      }, at),
    );
  }
  if (older.length) {
    report.warnings.push({ line: merged.line, message: `consent to ${older.join('; ')} not applied: the stored consent is newer than the row's evidence` });
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
