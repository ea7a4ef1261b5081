/**
 * The settings every function reads from its environment, checked by hand (no validation library at a page's cold
 * start): each bad variable named, with what it should be, in one message.
 */
import { describe, expect, it } from 'vitest';
import { parseRetentionDays, parseSending } from '../../../lambdas/adapters/full-container.ts';
import { readEnv } from '../../../lambdas/adapters/config.ts';
import { optionalNumber, parseSettings } from '../../../lambdas/adapters/settings.ts';
import { ENV } from '../../../lambdas/wiring/env-keys.ts';

const mail = {
  [ENV.publicBaseUrl]: 'https://mail.example.com//',
  [ENV.fromAddress]: 'news@mail.example.com',
  [ENV.postalAddress]: '1 Main St, Springfield',
};

describe('parseSettings', () => {
  it('reads the sending settings, the base URL without its trailing slashes', () => {
    expect(parseSettings(mail)).toEqual({ publicBaseUrl: 'https://mail.example.com', fromAddress: 'news@mail.example.com', postalAddress: '1 Main St, Springfield' });
    expect(parseSettings({ ...mail, [ENV.sesConfigurationSet]: 'cs', [ENV.unsubscribeMailbox]: 'unsubscribe@mail.example.com' })).toMatchObject({
      configurationSet: 'cs',
      unsubscribeMailbox: 'unsubscribe@mail.example.com',
    });
  });

  it('leaves out the optional settings when they are empty', () => {
    const settings = parseSettings({ ...mail, [ENV.sesConfigurationSet]: '', [ENV.unsubscribeMailbox]: '' });
    expect(settings).not.toHaveProperty('configurationSet');
    expect(settings).not.toHaveProperty('unsubscribeMailbox');
  });

  it('names every missing or bad variable in one message, with what to set', () => {
    let message = '';
    try {
      parseSettings({ [ENV.publicBaseUrl]: 'ftp://x.example', [ENV.postalAddress]: '  ', [ENV.unsubscribeMailbox]: 'Unsubscribe <u@x.example>' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe(
      'Sendwell sending settings are invalid: SENDWELL_PUBLIC_BASE_URL: an http(s) URL; SENDWELL_FROM_ADDRESS: set the SES identity mail is sent from; ' +
        'SENDWELL_POSTAL_ADDRESS: set the postal address shown in marketing mail; SENDWELL_UNSUBSCRIBE_MAILBOX: a bare email address, e.g. unsubscribe@mail.example.com',
    );
    expect(() => parseSettings({ ...mail, [ENV.publicBaseUrl]: undefined })).toThrow(/SENDWELL_PUBLIC_BASE_URL: required/);
  });

  it('takes a bare address as the unsubscribe mailbox, nothing else', () => {
    const accepts = (value: string) => {
      try {
        parseSettings({ ...mail, [ENV.unsubscribeMailbox]: value });
        return true;
      } catch {
        return false;
      }
    };
    expect(['unsubscribe@mail.example.com', "o'brien@example.com", 'u+tag@xn--bcher-kva.de', 'Unsubscribe@Mail.Example.com'].filter(accepts)).toHaveLength(4);
    expect(['x@y', 'a@b', '.a@b.example', 'Name <a@b.example>', ' a@b.example', 'a@b.example\r\nBcc: c@d.example', 'a@@b.example'].filter(accepts)).toEqual([]);
    // It goes into mailto: URLs and a DMARC record: characters with a meaning there, and a domain not yet in ASCII.
    expect(['a?b@mail.example.com', 'a#b@mail.example.com', 'a%b@mail.example.com', 'a!b@mail.example.com', 'u@bücher.de'].filter(accepts)).toEqual([]);
  });
});

describe('parseSending', () => {
  it('fills the defaults, an empty value counting as unset', () => {
    expect(parseSending({})).toEqual({ ratePerSecond: 14, maxAttempts: 5, reconcileSeconds: 600 });
    expect(parseSending({ [ENV.sendRate]: '', [ENV.sendMaxAttempts]: '' })).toEqual({ ratePerSecond: 14, maxAttempts: 5, reconcileSeconds: 600 });
  });

  it('reads numbers as written, a fractional rate included', () => {
    expect(parseSending({ [ENV.sendRate]: '0.5', [ENV.sendMaxAttempts]: '3', [ENV.sendReconcileSeconds]: ' 120 ' })).toEqual({ ratePerSecond: 0.5, maxAttempts: 3, reconcileSeconds: 120 });
  });

  it.each([
    [ENV.sendRate, '0', 'must be above 0, got 0'],
    [ENV.sendRate, '10001', 'must be at most 10000, got 10001'],
    [ENV.sendRate, 'fast', 'must be a number, got "fast"'],
    [ENV.sendRate, ' ', 'must be a number, got " "'],
    [ENV.sendRate, 'Infinity', 'must be a number, got "Infinity"'],
    [ENV.sendMaxAttempts, '2.5', 'must be a whole number, got 2.5'],
    [ENV.sendMaxAttempts, '0', 'must be at least 1, got 0'],
    [ENV.sendReconcileSeconds, '86401', 'must be at most 86400, got 86401'],
  ])('refuses %s=%j: %s', (name, value, problem) => {
    expect(() => parseSending({ [name]: value })).toThrow(`Sendwell campaign sending settings are invalid: ${name}: ${problem}`);
  });
});

describe('parseRetentionDays', () => {
  it('is 400 days unless set, and takes 1 to 3650', () => {
    expect(parseRetentionDays({})).toBe(400);
    expect(parseRetentionDays({ [ENV.retentionDays]: '' })).toBe(400);
    expect(parseRetentionDays({ [ENV.retentionDays]: '30' })).toBe(30);
    expect(() => parseRetentionDays({ [ENV.retentionDays]: '0' })).toThrow(/SENDWELL_RETENTION_DAYS: must be at least 1/);
    expect(() => parseRetentionDays({ [ENV.retentionDays]: '3651' })).toThrow(/SENDWELL_RETENTION_DAYS: must be at most 3650/);
  });
});

describe('readEnv', () => {
  it('reads only the variables it is given rules for, and reports every problem, not the first', () => {
    const rules = { A: optionalNumber({ integer: true }), B: optionalNumber({ below: 1, belowHint: 'a fraction' }), C: optionalNumber({}) };
    expect(readEnv({ A: '2', C: '-1', D: 'x' }, 'test settings', rules)).toEqual({ A: 2, B: undefined, C: -1 });
    expect(() => readEnv({ A: 'x', B: '1', C: '1e3' }, 'test settings', rules)).toThrow('Sendwell test settings are invalid: A: must be a number, got "x"; B: a fraction');
  });
});
