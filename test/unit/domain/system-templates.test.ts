import { describe, expect, it } from 'vitest';
import { SYSTEM_TEMPLATES, WELCOME_TEMPLATE_ID } from '../../../lambdas/domain/system-templates.ts';
import { validateTemplate } from '../../../lambdas/domain/template.ts';

describe('Sendwell system templates', () => {
  it.each(Object.entries(SYSTEM_TEMPLATES))('%s is a valid service template with a preference link', (_id, template) => {
    expect(validateTemplate(template)).toEqual([]);
    expect(template.class).toBe('service');
    expect(template.html).toContain('{{preferences_url}}');
    expect(template.text).toContain('{{preferences_url}}');
  });

  it('the welcome mail explains how to opt out (a promise of the privacy policies)', () => {
    const welcome = SYSTEM_TEMPLATES[WELCOME_TEMPLATE_ID]!;
    expect(welcome.text).toMatch(/How to opt out/);
    expect(welcome.text).toMatch(/unsubscribe link/);
    expect(welcome.text).toMatch(/not to sell or share/);
  });
});
