/**
 * The import reads files as people export them: any of `,` `;` tab, UTF-8 with or without BOM, UTF-16, Windows-1252;
 * unknown columns are warned about, a broken quote rejects only its row, a BOM never costs line 1, and numbers
 * beyond 2^53 are refused with the field named (not "import again"). Over HTTP, bytes as sent.
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

  it('answers 413 pointing to POST /v1/imports above the synchronous limit', async () => {
    const rows = Array.from({ length: 1001 }, (_, i) => `{"email":"over-${i}@example.com"}`).join('\n');
    const res = await upload(Buffer.from(rows), 'application/x-ndjson');
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: 'payload_too_large', message: expect.stringContaining('POST /v1/imports') });
  });
});
