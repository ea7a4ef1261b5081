import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { charsetOf, csvHeader, lineEnds, decodeText, detectEncoding, parseCsv, sniffDelimiter } from '../../../lambdas/domain/text-file.ts';

const utf16le = (s: string, bom = true) => Buffer.concat([bom ? Buffer.from([0xff, 0xfe]) : Buffer.alloc(0), Buffer.from(s, 'utf16le')]);
const utf16be = (s: string) => {
  const le = Buffer.from(s, 'utf16le');
  for (let i = 0; i < le.length; i += 2) [le[i], le[i + 1]] = [le[i + 1]!, le[i]!];
  return Buffer.concat([Buffer.from([0xfe, 0xff]), le]);
};

describe('decodeText', () => {
  const csv = 'email,name\nm@example.com,Müller – “quoted”\n';
  it('reads UTF-8 with and without a BOM, UTF-16 LE/BE with a BOM, UTF-16 LE without', () => {
    expect(decodeText(Buffer.from(csv, 'utf8'))).toEqual({ text: csv, encoding: 'utf-8' });
    expect(decodeText(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csv)]))).toEqual({ text: csv, encoding: 'utf-8' });
    expect(decodeText(utf16le(csv))).toEqual({ text: csv, encoding: 'utf-16le' });
    expect(decodeText(utf16be(csv))).toEqual({ text: csv, encoding: 'utf-16be' });
    expect(decodeText(utf16le(csv, false))).toEqual({ text: csv, encoding: 'utf-16le' });
  });

  it('reads Latin-1 / Windows-1252 bytes as such (Müller, not M�ller)', () => {
    const bytes = Buffer.from([...Buffer.from('email,name\nm@example.com,M'), 0xfc, ...Buffer.from('ller '), 0x80, 0x0a]);
    expect(detectEncoding(bytes)).toBe('windows-1252');
    expect(decodeText(bytes).text).toBe('email,name\nm@example.com,Müller €\n');
  });

  it('believes a declared charset, but a BOM first', () => {
    expect(charsetOf('text/csv; charset=ISO-8859-1')).toBe('windows-1252');
    expect(charsetOf('text/csv')).toBeUndefined();
    expect(decodeText(Buffer.from([0x41, 0xe9]), 'windows-1252').text).toBe('Aé');
    expect(decodeText(utf16le('x'), 'windows-1252')).toEqual({ text: 'x', encoding: 'utf-16le' });
  });

  it('round-trips any text through every encoding it detects', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1 }), (s) => {
        expect(decodeText(Buffer.from(s, 'utf8')).text).toBe(s.charCodeAt(0) === 0xfeff ? s.slice(1) : s);
        expect(decodeText(utf16le(s)).text).toBe(s);
      }),
    );
  });
});

describe('sniffDelimiter and parseCsv', () => {
  it('finds , ; and tab from the header, ignoring quoted ones', () => {
    expect(sniffDelimiter('email,country\n')).toBe(',');
    expect(sniffDelimiter('email;country;"a,b,c"\n')).toBe(';');
    expect(sniffDelimiter('email\tcountry\n')).toBe('\t');
    expect(sniffDelimiter('email\n')).toBe(',');
  });

  it('sniffs from the first line that is not blank, as the parser skips blank lines', () => {
    expect(sniffDelimiter('\r\n  \nemail;country\n')).toBe(';');
    expect(sniffDelimiter('\remail\tcountry\r')).toBe('\t');
  });

  it('parses quotes, doubled quotes, delimiters and line breaks inside quotes, CRLF, with start lines', () => {
    const text = 'a;b\r\n"x;1";"say ""hi"""\r\n\r\n"multi\nline";z\nlast;';
    expect(parseCsv(text, ';')).toEqual([
      { line: 1, cells: ['a', 'b'] },
      { line: 2, cells: ['x;1', 'say "hi"'] },
      { line: 4, cells: ['multi\nline', 'z'] },
      { line: 6, cells: ['last', ''] },
    ]);
  });

  it('rejects only the row with a broken quote; the rows after it are read', () => {
    const text = 'email,name\na@example.com,Ann\nb@example.com,"Bob\nc@example.com,Cy\nd@example.com,Di"x\ne@example.com,E"d\nf@example.com,Fay';
    const out = parseCsv(text, ',');
    expect(out.filter((r) => 'error' in r).map((r) => r.line)).toEqual([3, 5, 6]);
    expect(out.filter((r) => 'cells' in r).map((r) => ('cells' in r ? r.cells[0] : ''))).toEqual(['email', 'a@example.com', 'c@example.com', 'f@example.com']);
  });

  it('ends a line at a lone CR (classic Mac files): inside quotes, and where a broken row is skipped', () => {
    const text = 'email,note\ra@example.com,"two\rlines"\rb@example.com,"never closed\rc@example.com,ok\r';
    expect(parseCsv(text, ',')).toEqual([
      { line: 1, cells: ['email', 'note'] },
      { line: 2, cells: ['a@example.com', 'two\rlines'] },
      { line: 4, error: 'a quote opened here is never closed' },
      { line: 5, cells: ['c@example.com', 'ok'] },
    ]);
    // Counted alike, CRLF as one.
    expect(lineEnds(text)).toBe(5);
    expect(lineEnds('a\r\nb\n\rc')).toBe(3);
    // A quoted cell keeps its spaces at a line end and at the end of the text too; an unquoted one is trimmed there.
    expect(parseCsv('a, b \n" x "," y "\n c ', ',')).toEqual([
      { line: 1, cells: ['a', 'b'] },
      { line: 2, cells: [' x ', ' y '] },
      { line: 3, cells: ['c'] },
    ]);
  });

  it('reads the header as the parser does, written back so that it parses to the same columns and delimiter', () => {
    expect(csvHeader('\r\n\r\nemail,country,n\r\nx@example.com,US,1')).toBe('email,country,n');
    expect(csvHeader('\ufeffemail;"a,b";" c ";"say ""hi"""\n')).toBe('email;"a,b";" c ";"say ""hi"""');
    expect(csvHeader('"email\nx",y')).toBe('"email\nx",y');
    expect(csvHeader('"email,x\n')).toBeUndefined();
    expect(csvHeader('\n\n')).toBeUndefined();
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', ',', ';', '"', '\n', '\r', ' ', '\t') }), (text) => {
        const header = csvHeader(text);
        if (header === undefined) return;
        const d = sniffDelimiter(text);
        const original = parseCsv(text, d, 1)[0]!;
        expect(sniffDelimiter(header)).toBe(d);
        expect(parseCsv(`${header}\nrest`, d)[0]).toEqual({ ...original, line: 1 });
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws and always moves forward, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', ',', ';', '"', '\n', '\r', ' ', '\t') }), fc.constantFrom(',', ';', '\t') as fc.Arbitrary<',' | ';' | '\t'>, (text, d) => {
        const out = parseCsv(text, d);
        const lines = out.map((r) => r.line);
        expect([...lines].sort((a, b) => a - b)).toEqual(lines);
      }),
      { numRuns: 3000 },
    );
  });
});
