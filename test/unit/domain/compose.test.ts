import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ComposeInput, composeMessage } from '../../../lambdas/domain/compose.ts';
import { isSendwellError, UnsafeLink } from '../../../lambdas/domain/errors.ts';
import type { Template } from '../../../lambdas/domain/template.ts';

const BASE = 'https://mail.example';
const marketingTemplate: Template = {
  class: 'marketing',
  topic: 'news',
  subject: 'News for {{name}}',
  html: [
    '<html><body>',
    '<p>Hi {{name}}</p>',
    '<a href="https://shop.example/sale?a=1&amp;b=2">Sale</a>',
    "<a class='x' href='https://shop.example/{{slug}}'>Item</a>",
    '<a href=https://blog.example/post>Blog</a>',
    '<a href="mailto:help@shop.example">Mail us</a>',
    '<a data-href="https://data.example" title="t">No href</a>',
    '<a href="{{preferences_url}}">Preferences</a>',
    '<a href="{{unsubscribe_url}}">Unsubscribe</a>',
    '<p>{{postal_address}}</p>',
    '</body></html>',
  ].join('\n'),
  text: 'Hi {{name}}\nSale: https://shop.example/sale\nUnsubscribe: {{unsubscribe_url}}\n{{postal_address}}',
};
const serviceTemplate: Template = {
  class: 'service',
  subject: 'Your receipt',
  html: '<p>Order <a href="https://shop.example/orders/{{order}}">{{order}}</a></p><a href="{{preferences_url}}">Preferences</a>',
  text: 'Order {{order}}\n{{preferences_url}}',
};

const links = {
  preferencesUrl: `${BASE}/p/PREF`,
  unsubscribeUrl: `${BASE}/u/UNSUB`,
  oneClickUrl: `${BASE}/u/UNSUB`,
  mailtoUnsubscribe: 'mailto:unsubscribe@mail.example?subject=UNSUB',
  pixelUrl: `${BASE}/o/OPEN.gif`,
  clickUrl: (i: number) => `${BASE}/c/CLICK${i}`,
};

const input = (over: Partial<ComposeInput> = {}): ComposeInput => ({
  template: marketingTemplate,
  data: { name: 'Jane <3', slug: 'shoes', order: 'A-1' },
  recipient: { address: ' Jane.Doe@Example.COM ' },
  links,
  trackingAllowed: true,
  postalAddress: '1 Main St, Springfield',
  from: 'Shop News <news@shop.example>',
  ...over,
});

const PIXEL = `<img src="${BASE}/o/OPEN.gif" width="1" height="1" alt="">`;

function validationError(f: () => unknown): { message: string; details: readonly { path?: string; message: string }[] } {
  try {
    f();
  } catch (e) {
    if (isSendwellError(e) && e.code === 'validation_failed') return e;
    throw e;
  }
  throw new Error('expected a validation_failed SendwellError');
}

describe('composeMessage: marketing', () => {
  const m = composeMessage(input());

  it('adds the RFC 2369 / RFC 8058 unsubscribe headers', () => {
    expect(m.headers).toEqual([
      { name: 'List-Unsubscribe', value: `<${BASE}/u/UNSUB>, <mailto:unsubscribe@mail.example?subject=UNSUB>` },
      { name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' },
    ]);
  });

  it('leaves the mailto alternative out when there is none', () => {
    const { mailtoUnsubscribe: _, ...noMailto } = links;
    expect(composeMessage(input({ links: noMailto })).headers[0]).toEqual({ name: 'List-Unsubscribe', value: `<${BASE}/u/UNSUB>` });
  });

  it('renders subject, parts, addresses', () => {
    expect(m.subject).toBe('News for Jane <3');
    expect(m.from).toBe('Shop News <news@shop.example>');
    expect(m.to).toBe('Jane.Doe@example.com');
    expect(m.text).toBe(`Hi Jane <3\nSale: https://shop.example/sale\nUnsubscribe: ${BASE}/u/UNSUB\n1 Main St, Springfield`);
    expect(m.html).toContain('<p>Hi Jane &lt;3</p>');
    expect(m.html).toContain('<p>1 Main St, Springfield</p>');
    expect(m.missing).toEqual([]);
  });

  it('tracks the http(s) links of the HTML part, in order, and lists their original URLs', () => {
    expect(m.links).toEqual(['https://shop.example/sale?a=1&b=2', 'https://shop.example/shoes', 'https://blog.example/post']);
    expect(m.html).toContain(`<a href="${BASE}/c/CLICK0">Sale</a>`);
    expect(m.html).toContain(`<a class='x' href="${BASE}/c/CLICK1">Item</a>`);
    expect(m.html).toContain(`<a href="${BASE}/c/CLICK2">Blog</a>`);
  });

  it('never tracks its own links, mailto, anchors or other attributes', () => {
    expect(m.html).toContain(`<a href="${BASE}/u/UNSUB">Unsubscribe</a>`);
    expect(m.html).toContain(`<a href="${BASE}/p/PREF">Preferences</a>`);
    expect(m.html).toContain('<a href="mailto:help@shop.example">Mail us</a>');
    expect(m.html).toContain('<a data-href="https://data.example" title="t">No href</a>');
  });

  it('leaves the text part alone', () => {
    expect(m.text).not.toContain('/c/');
  });

  it('puts the open pixel just before </body>', () => {
    expect(m.html).toContain(`${PIXEL}</body></html>`);
    expect(m.html.split('<img').length).toBe(2);
  });

  it('appends the pixel when there is no </body>', () => {
    const t = { ...serviceTemplate, html: '<p>Hi</p>' };
    expect(composeMessage(input({ template: t })).html).toBe(`<p>Hi</p>${PIXEL}`);
    const upper = { ...serviceTemplate, html: '<BODY><p>Hi</p></BODY>' };
    expect(composeMessage(input({ template: upper })).html).toBe(`<BODY><p>Hi</p>${PIXEL}</BODY>`);
  });

  it('adds no pixel and tracks no link without tracking consent', () => {
    const plain = composeMessage(input({ trackingAllowed: false }));
    expect(plain.html).not.toContain('<img');
    expect(plain.html).not.toContain('/c/');
    expect(plain.html).toContain('<a href="https://shop.example/sale?a=1&amp;b=2">Sale</a>');
    expect(plain.links).toEqual([]);
    expect(plain.headers).toEqual(m.headers); // unsubscribing does not depend on tracking
  });

  it('a caller cannot replace the unsubscribe link or the postal address', () => {
    const evil = composeMessage(input({ data: { unsubscribe_url: 'https://evil.example', postal_address: 'nowhere' } }));
    expect(evil.html).toContain(`<a href="${BASE}/u/UNSUB">Unsubscribe</a>`);
    expect(evil.html).not.toContain('evil');
    expect(evil.text).not.toContain('nowhere');
  });

  it.each([
    ['unsubscribeUrl', { ...links, unsubscribeUrl: undefined }],
    ['oneClickUrl', { ...links, oneClickUrl: undefined }],
  ])('refuses marketing without %s', (_name, l) => {
    expect(validationError(() => composeMessage(input({ links: l }))).message).toBe('marketing needs unsubscribe links');
  });

  it('refuses marketing without a postal address', () => {
    expect(validationError(() => composeMessage(input({ postalAddress: ' ' }))).message).toBe('marketing needs a postal address');
  });

  it('refuses a template that could not be saved', () => {
    const e = validationError(() => composeMessage(input({ template: { ...marketingTemplate, text: 'no link' } })));
    expect(e.message).toBe('template cannot be sent');
    expect(e.details).toContainEqual({ path: 'text', message: 'marketing needs {{unsubscribe_url}}' });
  });
});

describe('composeMessage: service', () => {
  const s = composeMessage(input({ template: serviceTemplate, links: { preferencesUrl: links.preferencesUrl } }));

  it('has no unsubscribe headers and needs no unsubscribe links', () => {
    expect(s.headers).toEqual([]);
    // Tracking is allowed here, but with no pixel or click URL supplied there is nothing to track with.
    expect(s.html).toBe(`<p>Order <a href="https://shop.example/orders/A-1">A-1</a></p><a href="${BASE}/p/PREF">Preferences</a>`);
    expect(s.text).toBe(`Order A-1\n${BASE}/p/PREF`);
  });

  it('is tracked like any mail when the recipient allows it', () => {
    const t = composeMessage(input({ template: serviceTemplate }));
    expect(t.links).toEqual(['https://shop.example/orders/A-1']);
    expect(t.html).toBe(`<p>Order <a href="${BASE}/c/CLICK0">A-1</a></p><a href="${BASE}/p/PREF">Preferences</a>${PIXEL}`);
  });

  it('fills the confirm link of a double opt-in mail and never tracks it', () => {
    const confirm: Template = { class: 'service', subject: 'Confirm', html: '<a href="{{confirm_url}}">Yes</a>', text: '{{confirm_url}}' };
    const c = composeMessage(input({ template: confirm, links: { ...links, confirmUrl: `${BASE}/confirm/C` } }));
    expect(c.html).toBe(`<a href="${BASE}/confirm/C">Yes</a>${PIXEL}`);
    expect(c.text).toBe(`${BASE}/confirm/C`);
    expect(c.links).toEqual([]);
  });

  it('reports missing variables', () => {
    expect(composeMessage(input({ template: serviceTemplate, data: {} })).missing).toEqual(['order']);
  });
});

describe('composeMessage: nothing can inject a header', () => {
  it.each([
    ['from', { from: 'news@shop.example\r\nBcc: victim@example.org' }],
    ['from', { from: 'news@shop.example\u0000' }],
    ['from', { from: ' ' }],
    ['from', { from: 'news@shop.example\u2028Bcc: victim@example.org' }],
    ['recipient.address', { recipient: { address: 'jane@example.com\r\nBcc: victim@example.org' } }],
    ['recipient.address', { recipient: { address: 'not an address' } }],
    ['links.oneClickUrl', { links: { ...links, oneClickUrl: `${BASE}/u/X>\r\nBcc: victim@example.org` } }],
    ['links.oneClickUrl', { links: { ...links, oneClickUrl: `${BASE}/u/X>, <https://evil.example` } }],
    ['links.oneClickUrl', { links: { ...links, oneClickUrl: `${BASE}/u/ünï` } }],
    ['links.oneClickUrl', { links: { ...links, oneClickUrl: 'http://mail.example/u/X' } }], // RFC 8058 wants https
    ['links.oneClickUrl', { links: { ...links, oneClickUrl: 'javascript:alert(1)' } }],
    ['links.oneClickUrl', { links: { ...links, oneClickUrl: '/u/relative' } }],
    ['links.unsubscribeUrl', { links: { ...links, unsubscribeUrl: 'not a url' } }],
    ['links.mailtoUnsubscribe', { links: { ...links, mailtoUnsubscribe: 'mailto:x@y\r\nBcc: victim@example.org' } }],
    ['links.mailtoUnsubscribe', { links: { ...links, mailtoUnsubscribe: 'https://mail.example/u/X' } }],
    ['links.pixelUrl', { links: { ...links, pixelUrl: 'https://mail.example/o/X.gif" onload="alert(1)' } }],
    ['links.clickUrl', { links: { ...links, clickUrl: () => 'javascript:alert(1)' } }],
  ])('refuses a bad %s', (path, over) => {
    const e = validationError(() => composeMessage(input(over as Partial<ComposeInput>)));
    expect(e.details[0]?.path).toBe(path);
  });

  it('keeps emoji sequences and direction marks in subject and sender', () => {
    const t = { ...serviceTemplate, subject: 'Family 👨\u200d👩\u200d👧 {{order}}' };
    const m = composeMessage(input({ template: t, from: '\u200fמשלוחים <news@shop.example>' }));
    expect(m.subject).toBe('Family 👨\u200d👩\u200d👧 A-1');
    expect(m.from).toBe('\u200fמשלוחים <news@shop.example>');
  });

  it('refuses a subject that renders empty', () => {
    const t = { ...serviceTemplate, subject: '{{title}}' };
    expect(validationError(() => composeMessage(input({ template: t }))).details[0]?.path).toBe('subject');
  });

  it('allows plain http only on loopback, for the local stack', () => {
    const local = 'http://127.0.0.1:3000';
    const l = { ...links, unsubscribeUrl: `${local}/u/T`, oneClickUrl: `${local}/u/T`, pixelUrl: `${local}/o/T.gif` };
    expect(composeMessage(input({ links: l })).headers[0]?.value).toBe(`<${local}/u/T>, <mailto:unsubscribe@mail.example?subject=UNSUB>`);
    expect(composeMessage(input({ links: { ...l, oneClickUrl: 'http://localhost:3000/u/T' } })).headers).toHaveLength(2);
  });

  it('whatever the data, every header is one line of printable ASCII and the subject one line', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('name', 'slug', 'order'), fc.string({ unit: 'binary' })), (data) => {
        const m = composeMessage(input({ data }));
        for (const h of m.headers) expect(h.value).toMatch(/^[\x20-\x7e]+$/);
        expect(m.subject).not.toMatch(/[\r\n]/);
      }),
    );
  });

  it('whatever the data, tracked links map back to what the HTML held', () => {
    fc.assert(
      fc.property(fc.webUrl(), (url) => {
        const t: Template = { ...serviceTemplate, html: '<a href="{{url}}">x</a>' };
        const m = composeMessage(input({ template: t, data: { url } }));
        expect(m.links).toEqual([new URL(url.trim()).href]);
        expect(m.html).toBe(`<a href="${BASE}/c/CLICK0">x</a>${PIXEL}`);
      }),
    );
  });
});

describe('composeMessage: links are values', () => {
  const t: Template = { ...serviceTemplate, html: '<p><a href="https://shop.example/a">Shop</a> <a href="{{profile}}">Profile</a></p>' };
  const refused = (data: Record<string, unknown>) => {
    try {
      composeMessage(input({ template: t, data }));
    } catch (e) {
      return e;
    }
    return undefined;
  };

  it.each(['javascript:alert(1)', 'JaVaScRiPt:alert(1)', ' java\nscript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'vbscript:msgbox(1)', '/relative', '', 'https://'])(
    'refuses an href variable that renders to %j, naming the template link and not the value',
    (profile) => {
      const e = refused({ profile });
      expect(e).toBeInstanceOf(UnsafeLink);
      expect((e as UnsafeLink).details).toEqual([{ path: 'html.link.2', message: expect.stringContaining('{{profile}}') }]);
      expect(JSON.stringify((e as UnsafeLink).details)).not.toContain('alert');
    },
  );

  it('sends an href variable that renders to http, https or mailto', () => {
    for (const profile of ['https://shop.example/u/1', 'http://shop.example/u/1', 'mailto:help@shop.example']) expect(refused({ profile })).toBeUndefined();
  });

  it('stores a tracked link filled with CR/LF as an encoded absolute URL', () => {
    const crlf: Template = { ...serviceTemplate, html: '<a href="https://shop.example/search?q={{q}}">Search</a>' };
    const m = composeMessage(input({ template: crlf, data: { q: 'a\r\nLocation: https://evil.example b' } }));
    expect(m.links).toHaveLength(1);
    expect(m.links[0]).not.toMatch(/[\r\n ]/);
    expect(m.links[0]).toBe(new URL(m.links[0]!).href);
    expect(m.links[0]!.startsWith('https://shop.example/search?q=')).toBe(true);
  });

  it('puts the links every recipient shares in a link set, and signs its id into their click links only', () => {
    const calls: Array<[number, string | undefined]> = [];
    const shared: Template = { ...serviceTemplate, html: '<a href="https://shop.example/a">A</a><a href="https://shop.example/p/{{id}}">Mine</a>' };
    const m = composeMessage(input({ template: shared, data: { id: '42' }, links: { ...links, clickUrl: (i, set) => (calls.push([i, set]), `${BASE}/c/CLICK${i}`) } }));
    expect(m.links).toEqual(['https://shop.example/a', 'https://shop.example/p/42']);
    expect(m.linkSet?.links).toEqual(['https://shop.example/a', null]);
    expect(calls).toEqual([
      [0, m.linkSet?.id],
      [1, undefined],
    ]);
    // The same template for someone else: the same link set.
    const other = composeMessage(input({ template: shared, data: { id: '7' } }));
    expect(other.linkSet?.id).toBe(m.linkSet?.id);
  });
});
