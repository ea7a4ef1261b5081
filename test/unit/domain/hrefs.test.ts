import { describe, expect, it } from 'vitest';
import { checkTemplateHrefs, refusedHrefs, safeUrl } from '../../../lambdas/domain/hrefs.ts';
import { validateTemplate } from '../../../lambdas/domain/template.ts';

const a = (href: string) => `<p><a href="${href}">x</a></p>`;

describe('checkTemplateHrefs (template save)', () => {
  it.each([
    'javascript:alert(1)',
    'JAVASCRIPT:alert(1)',
    '&#106;avascript:alert(1)',
    'java&#x0A;script:alert(1)',
    'java&Tab;script:alert(1)'.replace('&Tab;', '&tab;'),
    'data:text/html;base64,PHNjcmlwdD4=',
    'vbscript:msgbox(1)',
    'file:///etc/passwd',
    'ftp://files.example/a',
    '#top',
    '/relative/path',
    'https://',
    'javascript:{{code}}',
    ' data:{{payload}}',
  ])('refuses %j, naming the link', (href) => {
    const problems = checkTemplateHrefs(`<a href="https://ok.example">ok</a>${a(href)}`);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path: 'html', message: expect.stringMatching(/^link 2 \(/) });
  });

  it.each(['https://shop.example/a?b=1&amp;c=2', 'http://shop.example', 'mailto:help@shop.example', '{{unsubscribe_url}}', '{{ preferences_url }}', '{{url}}', 'https://shop.example/{{slug}}', '{{base}}/path'])(
    'accepts %j',
    (href) => expect(checkTemplateHrefs(a(href))).toEqual([]),
  );

  it('checks every element with an href, in single, double or no quotes, and leaves data-href alone', () => {
    expect(checkTemplateHrefs(`<area href='javascript:x'><link href=vbscript:y><a data-href="javascript:z">`).map((p) => p.message)).toEqual([
      expect.stringContaining('link 1 (javascript:x)'),
      expect.stringContaining('link 2 (vbscript:y)'),
    ]);
  });

  it('is part of validateTemplate, so saving such a template is a 400 naming the link', () => {
    const problems = validateTemplate({ class: 'service', subject: 's', html: a('javascript:alert(1)'), text: 't' });
    expect(problems).toContainEqual({ path: 'html', message: 'link 1 (javascript:alert(1)): javascript: is not allowed (only http, https, mailto)' });
  });
});

describe('refusedHrefs (per recipient)', () => {
  it('checks only hrefs that had a variable, in the rendered part', () => {
    const template = '<a href="https://a.example">a</a><a href="{{u}}">b</a>';
    expect(refusedHrefs(template, '<a href="https://a.example">a</a><a href="javascript:alert(1)">b</a>')).toEqual([
      { link: 2, template: '{{u}}', reason: 'javascript: is not allowed (only http, https, mailto)' },
    ]);
    expect(refusedHrefs(template, '<a href="https://a.example">a</a><a href="https://b.example">b</a>')).toEqual([]);
  });
});

describe('safeUrl', () => {
  it('parses as a browser does and answers the encoded absolute URL', () => {
    expect(safeUrl('https://shop.example/a b?q=ü')).toEqual({ ok: true, url: 'https://shop.example/a%20b?q=%C3%BC', scheme: 'https:' });
    expect(safeUrl('https://shop.example/a\r\nb')).toMatchObject({ ok: true, url: 'https://shop.example/ab' });
    expect(safeUrl(' \u0000java\tscript:alert(1)')).toMatchObject({ ok: false });
  });
});
