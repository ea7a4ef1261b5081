/**
 * The import reads files as people export them: any of `,` `;` tab, UTF-8 with or without BOM, UTF-16, Windows-1252;
 * unknown columns (and unknown JSON-lines keys) are warned about, a broken quote rejects only its row, a BOM never
 * costs line 1, rows of delimiters only are skipped, JSON lines end at a lone CR as CSV lines do, a CSV header row
 * past 100 KB is refused naming the limit, and numbers beyond 2^53 are refused with the field named (not
 * "import again"). An old export imported again does not undo a later consent, nor push anyone past 50 attributes.
 * Over HTTP, bytes as sent.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../../support/suite.ts';
import { uniqueAddress } from '../../support/mailbox.ts';

const suite = useGateway();

async function upload(bytes: Buffer, contentType: string) {
  const res = await suite.gw.call('/v1/recipients/import', { method: 'POST', admin: true, headers: { 'content-type': contentType }, body: new Uint8Array(bytes) });
  return { status: res.status, body: (await res.json()) as any };
}

const find = async (email: string) => (await suite.api.get(`/v1/recipients?email=${encodeURIComponent(email)}`)).body;

async function newTopic(label: string): Promise<string> {
  const id = `${label}-${Date.now().toString(36)}${Math.floor(Math.random() * 1000)}`;
  expect((await suite.api.post('/v1/topics', { id, name: label })).status).toBe(201);
  return id;
}

describe('import files as they come', () => {
  it('sniffs a semicolon-separated CSV and a tab-separated one', async () => {
    const a = uniqueAddress('semi');
    const b = uniqueAddress('tab');
    const semi = await upload(Buffer.from(`email;country;plan\n${a};DE;"pro; annual"\n`), 'text/csv');
    expect(semi.status).toBe(200);
    expect(semi.body).toMatchObject({ rows: 1, created: 1, rejected: [] });
    expect(await find(a)).toMatchObject({ country: 'DE', attributes: { plan: 'pro; annual' } });
    const tab = await upload(Buffer.from(`email\tcountry\n${b}\tFR\n`), 'text/csv');
    expect(tab.body).toMatchObject({ rows: 1, created: 1 });
    expect(await find(b)).toMatchObject({ country: 'FR' });
  });

  it('reads Windows-1252 / Latin-1, UTF-16 and UTF-8 with a BOM', async () => {
    const latin = uniqueAddress('latin');
    const bytes = Buffer.concat([Buffer.from(`email,name\n${latin},M`), Buffer.from([0xfc]), Buffer.from('ller\n')]);
    expect((await upload(bytes, 'text/csv')).body).toMatchObject({ created: 1 });
    expect((await find(latin)).attributes).toEqual({ name: 'Müller' });

    const wide = uniqueAddress('utf16');
    const u16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`email;name\r\n${wide};Zoë\r\n`, 'utf16le')]);
    expect((await upload(u16, 'text/csv')).body).toMatchObject({ created: 1 });
    expect((await find(wide)).attributes).toEqual({ name: 'Zoë' });

    const bom = uniqueAddress('bom');
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`email,name\n${bom},Ångström\n`)]);
    expect((await upload(withBom, 'text/csv')).body).toMatchObject({ created: 1 });
    expect((await find(bom)).attributes).toEqual({ name: 'Ångström' });
  });

  it('keeps line 1 of a JSON-lines file that starts with a BOM', async () => {
    const first = uniqueAddress('jsonl-bom1');
    const second = uniqueAddress('jsonl-bom2');
    const text = `\uFEFF${JSON.stringify({ email: first })}\n${JSON.stringify({ email: second })}\n`;
    const res = await upload(Buffer.from(text), 'application/x-ndjson');
    expect(res.body).toMatchObject({ rows: 2, created: 2, rejected: [] });
  });

  it('warns about unknown columns (and ignores them) instead of dropping them silently', async () => {
    const a = uniqueAddress('unknown-col');
    const res = await upload(Buffer.from(`email,First Name,consent_ip,plan,\n${a},Ann,1.2.3.4,pro,x\n`), 'text/csv');
    expect(res.body.created).toBe(1);
    expect(res.body.warnings).toEqual([
      { line: 1, message: expect.stringContaining('"First Name"') },
      { line: 1, message: expect.stringContaining('"consent_ip"') },
      { line: 1, message: expect.stringContaining('column 5 (no name)') },
    ]);
    expect((await find(a)).attributes).toEqual({ plan: 'pro' });
  });

  it('rejects only the rows with a broken quote', async () => {
    const [a, b, c] = [uniqueAddress('q-a'), uniqueAddress('q-b'), uniqueAddress('q-c')];
    const res = await upload(Buffer.from(`email,name\n${a},Ann\n${b},"Bob\n${c},Cy\n`), 'text/csv');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ rows: 3, created: 2, rejected: [{ line: 3, reason: expect.stringContaining('quote') }] });
  });

  it('refuses a number beyond 2^53 in a row with the field named, and keeps it when sent as a string', async () => {
    const a = uniqueAddress('big-num');
    const b = uniqueAddress('big-str');
    const res = await upload(Buffer.from(`{"email":"${a}","attributes":{"loyaltyId":12345678901234567}}\n{"email":"${b}","attributes":{"loyaltyId":"12345678901234567"}}\n`), 'application/x-ndjson');
    expect(res.status).toBe(200);
    expect(res.body.rejected).toEqual([{ line: 1, reason: expect.stringMatching(/^attributes\.loyaltyId: .*send it as a string/) }]);
    expect((await find(b)).attributes).toEqual({ loyaltyId: '12345678901234567' });
  });

  it('a pending opt-in of a first import is confirmed by a re-import that brings consent_confirmed_at', async () => {
    const topic = `pend-${Date.now().toString(36)}`;
    expect((await suite.api.post('/v1/topics', { id: topic, name: 'Pending' })).status).toBe(201);
    const a = uniqueAddress('import-pending');
    // DE needs the confirmation; the first export lacked it, the second has it (both older than the first import).
    await upload(Buffer.from(`email,country,topic:${topic},consent_at\n${a},DE,opted_in,2025-03-01T00:00:00Z\n`), 'text/csv');
    expect((await suite.api.get(`/v1/recipients?email=${encodeURIComponent(a)}`)).body.consents[topic].status).toBe('pending');
    const second = await upload(Buffer.from(`email,country,topic:${topic},consent_at,consent_confirmed_at\n${a},DE,opted_in,2025-03-01T00:00:00Z,2025-03-02T00:00:00Z\n`), 'text/csv');
    expect(second.body.warnings).toEqual([]);
    expect((await suite.api.get(`/v1/recipients?email=${encodeURIComponent(a)}`)).body.consents[topic].status).toBe('opted_in');
  });

  it('does not undo a later opt-out with an old export imported again, and says so on the row', async () => {
    const topic = await newTopic('reimport');
    const a = uniqueAddress('reimport');
    const csv = (at: string) => `email,country,topic:${topic},consent_at\n${a},US,opted_in,${at}\n`;
    expect((await upload(Buffer.from(csv('2026-01-01T00:00:00Z')), 'text/csv')).body).toMatchObject({ created: 1, warnings: [] });
    const id = (await find(a)).id;
    expect((await suite.api.put(`/v1/recipients/${id}/consents/${topic}`, { status: 'opted_out', source: 'admin' })).status).toBe(200);

    const again = await upload(Buffer.from(csv('2026-01-01T00:00:00Z')), 'text/csv');
    expect(again.body).toMatchObject({ rows: 1, updated: 0, unchanged: 1, rejected: [] });
    expect(again.body.warnings).toEqual([{ line: 2, message: expect.stringMatching(new RegExp(`^consent to ${topic} \\(opted_in of 2026-01-01T00:00:00Z, stored opted_out since .+\\) not applied`)) }]);
    expect((await find(a)).consents[topic].status).toBe('opted_out');

    // Evidence given after the opt-out is newer than it: applied.
    await new Promise((r) => setTimeout(r, 20));
    const later = await upload(Buffer.from(csv(new Date().toISOString())), 'text/csv');
    expect(later.body).toMatchObject({ updated: 1, warnings: [] });
    expect((await find(a)).consents[topic].status).toBe('opted_in');
  });

  it('names the keys of a JSON-lines row it ignores, and reads the CSV spellings and a consent given as {status, evidence: {at}}', async () => {
    const topic = await newTopic('jsonl-keys');
    const a = uniqueAddress('jsonl-keys');
    const row = {
      email: a,
      country: 'US',
      firstName: 'Jane',
      timezone: 'Europe/Berlin',
      external_id: 'crm-1',
      consents: { [topic]: { status: 'opted_in', evidence: { at: '2026-01-01T00:00:00Z', ip: '192.0.2.1' } } },
    };
    const res = await upload(Buffer.from(`${JSON.stringify(row)}\n`), 'application/x-ndjson');
    expect(res.body).toMatchObject({ rows: 1, created: 1, rejected: [] });
    expect(res.body.warnings).toEqual([{ line: 1, message: `ignored, not fields of an import row: firstName, consents.${topic}.evidence.ip (your own fields go in attributes)` }]);
    expect(await find(a)).toMatchObject({ timeZone: 'Europe/Berlin', externalId: 'crm-1', attributes: {}, consents: { [topic]: { status: 'opted_in' } } });
  });

  it('rejects a row that would leave a recipient more than 50 attributes, naming attributes, as PATCH does', async () => {
    const names = (from: number) => Array.from({ length: 40 }, (_, i) => `a${from + i}`);
    const a = uniqueAddress('attrs');
    expect((await upload(Buffer.from(`email,${names(0).join(',')}\n${a},${names(0).map(() => 'x').join(',')}\n`), 'text/csv')).body).toMatchObject({ created: 1 });
    const more = await upload(Buffer.from(`email,${names(40).join(',')}\n${a},${names(40).map(() => 'y').join(',')}\n`), 'text/csv');
    expect(more.body).toMatchObject({ updated: 0, rejected: [{ line: 2, reason: expect.stringMatching(/^attributes: .*at most 50 attributes; this row would leave 80$/) }] });
    expect(Object.keys((await find(a)).attributes)).toHaveLength(40);

    // Two rows of one address in a file add up too: the second is rejected, the first created.
    const b = uniqueAddress('attrs-merged');
    const header = `email,${[...names(0), ...names(40)].join(',')}`;
    const res = await upload(Buffer.from(`${header}\n${b},${names(0).map(() => 'x').join(',')}${','.repeat(40)}\n${b}${','.repeat(40)},${names(40).map(() => 'y').join(',')}\n`), 'text/csv');
    expect(res.body).toMatchObject({ created: 1, rejected: [{ line: 3, reason: expect.stringMatching(/^attributes: at most 50 attributes, 80 with line 2/) }] });
    expect(Object.keys((await find(b)).attributes)).toHaveLength(40);
  });

  it('skips rows of delimiters only as it skips blank lines; a row without an email says email is required', async () => {
    const a = uniqueAddress('trailing');
    const res = await upload(Buffer.from(`email,country,plan\n${a},US,pro\n,,\n,US,basic\n"","",""\n, ,\n`), 'text/csv');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ rows: 2, created: 1, warnings: [], rejected: [{ line: 4, reason: 'email: email is required' }] });
  });

  it('reads JSON lines ended by a lone CR (classic Mac), CRLF or LF alike, each row on its own line', async () => {
    const [a, b, c] = [uniqueAddress('cr-a'), uniqueAddress('cr-b'), uniqueAddress('cr-c')];
    // Before, a file of lone CRs was one line: not valid JSON, nothing imported.
    const text = `${JSON.stringify({ email: a })}\r${JSON.stringify({ email: b })}\r\r{"email": \r\n${JSON.stringify({ email: c, country: 'FR' })}\n`;
    const res = await upload(Buffer.from(text), 'application/x-ndjson');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ rows: 4, created: 3, rejected: [{ line: 4, reason: 'not valid JSON' }] });
    expect(await find(c)).toMatchObject({ country: 'FR' });
  });

  it('refuses a CSV whose header row passes 100 KB with a 400 naming the limit, in a synchronous import and a job', async () => {
    // ~450 KB: an uploaded file's job keeps its header in an item DynamoDB caps at 400 KB; before, such a job stalled.
    const header = `email,${Array.from({ length: 45_000 }, (_, i) => `c${i}`).join(',')}`;
    const csv = Buffer.from(`${header}\n${uniqueAddress('wide')},1\n`);
    for (const path of ['/v1/recipients/import', '/v1/imports']) {
      const res = await suite.gw.call(path, { method: 'POST', admin: true, headers: { 'content-type': 'text/csv' }, body: new Uint8Array(csv) });
      expect(res.status, path).toBe(400);
      expect(((await res.json()) as any).error, path).toEqual({
        code: 'validation_failed',
        message: 'The CSV header row is too long: a header row takes at most 100000 bytes.',
        details: [{ path: 'line 1', message: `${Buffer.byteLength(header)} bytes; at most 100000` }],
      });
    }
  });

  it('answers 413 pointing to POST /v1/imports above the synchronous limit', async () => {
    const rows = Array.from({ length: 1001 }, (_, i) => `{"email":"over-${i}@example.com"}`).join('\n');
    const res = await upload(Buffer.from(rows), 'application/x-ndjson');
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: 'payload_too_large', message: expect.stringContaining('POST /v1/imports') });
  });
});
