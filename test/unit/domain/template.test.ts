import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeHtml, renderTemplate, type Template, validateTemplate } from '../../../lambdas/domain/template.ts';

const parts = (subject: string, html: string, text: string) => ({ subject, html, text });

describe('renderTemplate', () => {
  it('fills {{name}} and {{ a.b }} placeholders', () => {
    const r = renderTemplate(parts('Hi {{name}}', '<p>{{ order.id }} for {{name}}</p>', 'Order {{order.id}}'), {
      name: 'Jane',
      order: { id: 42 },
    });
    expect(r).toEqual({ subject: 'Hi Jane', html: '<p>42 for Jane</p>', text: 'Order 42', missing: [] });
  });

  it('escapes values in HTML only', () => {
    const r = renderTemplate(parts('{{v}}', '<p title="{{v}}">{{v}}</p>', '{{v}}'), { v: `Tom & "Jerry" <b>'s</b>` });
    expect(r.html).toBe('<p title="Tom &amp; &quot;Jerry&quot; &lt;b&gt;&#39;s&lt;/b&gt;">Tom &amp; &quot;Jerry&quot; &lt;b&gt;&#39;s&lt;/b&gt;</p>');
    expect(r.text).toBe(`Tom & "Jerry" <b>'s</b>`);
    expect(r.subject).toBe(`Tom & "Jerry" <b>'s</b>`);
  });

  it('keeps the subject on one line whatever the data holds', () => {
    const r = renderTemplate(parts('Order {{id}} shipped', 'x', 'x'), { id: '1\r\nBcc: victim@example.org\n\u2028\u0000x' });
    expect(r.subject).toBe('Order 1 Bcc: victim@example.org x shipped');
  });

  it('keeps line breaks in the text part, where they belong', () => {
    expect(renderTemplate(parts('s', 'x', '{{address}}'), { address: '1 Main St\nSpringfield' }).text).toBe('1 Main St\nSpringfield');
  });

  it('renders unknown variables empty and lists each once, in order', () => {
    const r = renderTemplate(parts('{{b}}', '{{a}} {{b}} {{c.d}}', '{{a}}'), { c: { e: 1 } });
    expect(r.html).toBe('  ');
    expect(r.missing).toEqual(['b', 'a', 'c.d']);
  });

  it('renders numbers and booleans, and treats null, objects and arrays as missing', () => {
    const r = renderTemplate(parts('s', '{{n}} {{t}} {{z}} {{o}} {{l}}', 'x'), { n: 0, t: false, z: null, o: { a: 1 }, l: [1] });
    expect(r.html).toBe('0 false   ');
    expect(r.missing).toEqual(['z', 'o', 'l']);
  });

  it('never reads from prototypes', () => {
    const r = renderTemplate(parts('s', '{{constructor.name}}{{toString}}{{a.__proto__}}{{a.length}}', 'x'), { a: 'str' });
    expect(r.html).toBe('');
    expect(r.missing).toEqual(['constructor.name', 'toString', 'a.__proto__', 'a.length']);
  });

  it('fills Sendwell variables only from Sendwell, never from caller data', () => {
    const r = renderTemplate(
      parts('s', '<a href="{{unsubscribe_url}}">u</a> {{postal_address}} {{preferences_url}} {{confirm_url}}', '{{unsubscribe_url}}'),
      { unsubscribe_url: 'https://evil.example', postal_address: 'nowhere', preferences_url: 'https://evil.example', confirm_url: 'x' },
      { unsubscribe_url: 'https://m.example/u/T?a=1&b=2', postal_address: '1 Main St' },
    );
    expect(r.html).toBe('<a href="https://m.example/u/T?a=1&amp;b=2">u</a> 1 Main St  ');
    expect(r.text).toBe('https://m.example/u/T?a=1&b=2');
    expect(r.missing).toEqual(['preferences_url', 'confirm_url']);
  });

  it('does not treat dotted paths under a Sendwell variable as caller data', () => {
    const r = renderTemplate(parts('s', '{{unsubscribe_url.x}}', 'x'), { unsubscribe_url: { x: 'evil' } }, { unsubscribe_url: 'u' });
    expect(r.html).toBe('');
  });

  it('leaves malformed placeholders as written', () => {
    const r = renderTemplate(parts('s', '{{ two words }} {{}} {{a-b}} {{1x}}', 'x'), { 'a-b': 'v', '1x': 'v' });
    expect(r.html).toBe('{{ two words }} {{}} {{a-b}} {{1x}}');
    expect(r.missing).toEqual([]);
  });

  it('never lets caller data open a tag or a line in the subject', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (v) => {
        const r = renderTemplate(parts('[{{v}}]', '<p>{{v}}</p>', '{{v}}'), { v });
        expect(r.html.slice(3, -4)).not.toMatch(/[<>"']/);
        expect(r.subject).not.toMatch(/[\r\n]/);
        expect(r.text).toBe(v);
      }),
    );
  });

  it('does not substitute into values it has already substituted', () => {
    const r = renderTemplate(parts('{{a}}', '{{a}}', '{{a}}'), { a: '{{b}}', b: 'no' });
    expect(r).toEqual({ subject: '{{b}}', html: '{{b}}', text: '{{b}}', missing: [] });
  });
});

const marketing: Template = {
  class: 'marketing',
  topic: 'news',
  subject: 'News',
  html: '<p>Hi</p><a href="{{unsubscribe_url}}">Unsubscribe</a> {{postal_address}}',
  text: 'Hi\nUnsubscribe: {{ unsubscribe_url }}\n{{postal_address}}',
};
const service: Template = { class: 'service', subject: 'Your receipt', html: '<p>Thanks</p>', text: 'Thanks' };

describe('validateTemplate', () => {
  it('accepts complete marketing and service templates', () => {
    expect(validateTemplate(marketing)).toEqual([]);
    expect(validateTemplate(service)).toEqual([]);
  });

  it('requires {{unsubscribe_url}} and {{postal_address}} in both parts of marketing mail', () => {
    expect(validateTemplate({ ...marketing, html: '<p>Hi</p> {{postal_address}}' })).toEqual([
      { path: 'html', message: 'marketing needs {{unsubscribe_url}}' },
    ]);
    expect(validateTemplate({ ...marketing, text: 'Hi {{unsubscribe_url}}' })).toEqual([
      { path: 'text', message: 'marketing needs {{postal_address}}' },
    ]);
    expect(validateTemplate({ ...marketing, html: 'x', text: 'y' })).toHaveLength(4);
  });

  it('does not count a malformed placeholder as the unsubscribe link', () => {
    const problems = validateTemplate({ ...marketing, text: '{{unsubscribe url}} {{postal_address}}' });
    expect(problems).toContainEqual({ path: 'text', message: 'marketing needs {{unsubscribe_url}}' });
    expect(problems).toContainEqual({ path: 'text', message: 'malformed placeholder {{unsubscribe url}}' });
  });

  it('requires a topic for marketing and forbids one for service mail', () => {
    const { topic: _, ...noTopic } = marketing;
    expect(validateTemplate(noTopic)).toEqual([{ path: 'topic', message: 'marketing needs a topic' }]);
    expect(validateTemplate({ ...service, topic: 'news' })).toEqual([{ path: 'topic', message: 'service mail has no topic' }]);
  });

  it.each([
    ['', 'subject is empty'],
    ['   ', 'subject is empty'],
    ['Hello\r\nBcc: x@example.org', 'subject contains a line break or control character'],
    ['Hello\nWorld', 'subject contains a line break or control character'],
    ['Tab\there', 'subject contains a line break or control character'],
  ])('checks the subject %j', (subject, message) => {
    expect(validateTemplate({ ...service, subject })).toContainEqual({ path: 'subject', message });
  });

  it('requires both an HTML and a text part', () => {
    expect(validateTemplate({ ...service, html: ' ' })).toEqual([{ path: 'html', message: 'an HTML part is required' }]);
    expect(validateTemplate({ ...service, text: '' })).toEqual([{ path: 'text', message: 'a plain-text part is required' }]);
  });

  it('reports malformed placeholders', () => {
    expect(validateTemplate({ ...service, html: '<p>{{ first name }} {{name</p>' })).toEqual([
      { path: 'html', message: 'malformed placeholder {{ first name }}' },
      { path: 'html', message: 'malformed placeholder {{ without a closing }}' },
    ]);
    expect(validateTemplate({ ...service, text: '{{{raw}}}' })).toEqual([
      { path: 'text', message: 'malformed placeholder {{{…}}} (values are always escaped)' },
    ]);
    expect(validateTemplate({ ...service, subject: 'Hi {{}}' })).toEqual([{ path: 'subject', message: 'malformed placeholder {{}}' }]);
  });
});

describe('escapeHtml', () => {
  it('escapes the five characters that matter in text and quoted attributes', () => {
    expect(escapeHtml(`<a href="x" title='y'>&amp;</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
    expect(escapeHtml('plain ünïcödé')).toBe('plain ünïcödé');
  });
});
