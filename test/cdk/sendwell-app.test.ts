/** The deployer's context: defaults, checks, and what production stages require. */
import { describe, expect, it } from 'vitest';
import { App } from 'aws-cdk-lib';
import { parseSettings } from '../../lambdas/adapters/settings.ts';
import { ENV } from '../../lambdas/wiring/env-keys.ts';
import { readDeployerContext, stackName } from '../../lib/sendwell-app.ts';
import { isProductionStage } from '../../lib/stage.ts';

const read = (context: Record<string, unknown>) => readDeployerContext(new App({ context }).node);

describe('readDeployerContext', () => {
  it('defaults to stage dev with nothing else set', () => {
    expect(read({})).toStrictEqual({
      stage: 'dev',
      fromAddress: undefined,
      publicBaseUrl: undefined,
      postalAddress: undefined,
      alarmEmail: undefined,
      unsubscribeMailbox: undefined,
      sendRate: undefined,
      consoleDomainPrefix: undefined,
      sending: { identity: 'create', vdm: false, accountVdm: false },
    });
  });

  it('reads every parameter and trims a trailing slash from publicBaseUrl', () => {
    expect(
      read({
        stage: 'staging',
        fromAddress: 'Sendwell <no-reply@mail.example.com>',
        publicBaseUrl: 'https://mail.example.com/',
        postalAddress: 'Example Ltd, 1 Main St, Springfield',
        alarmEmail: 'ops@example.com',
        unsubscribeMailbox: 'unsubscribe@mail.example.com',
        sendRate: '50',
        consoleDomainPrefix: 'sendwell-acme-staging',
        sendingDomain: 'Mail.Example.com',
        emailIdentity: 'import',
        mailFromSubdomain: 'mx',
        hostedZoneId: 'Z0123456789ABCDEFGHIJ',
        hostedZoneName: 'example.com.',
        dmarcPolicy: 'quarantine',
        dmarcReportAddress: 'dmarc@example.com',
        createDmarcRecord: 'false',
        vdm: 'true',
        accountVdm: false,
        dedicatedIpPool: 'managed',
        receiptRuleSet: 'sendwell-prod-inbound',
      }),
    ).toStrictEqual({
      stage: 'staging',
      fromAddress: 'Sendwell <no-reply@mail.example.com>',
      publicBaseUrl: 'https://mail.example.com',
      postalAddress: 'Example Ltd, 1 Main St, Springfield',
      alarmEmail: 'ops@example.com',
      unsubscribeMailbox: 'unsubscribe@mail.example.com',
      sendRate: 50,
      consoleDomainPrefix: 'sendwell-acme-staging',
      sending: {
        domain: 'mail.example.com',
        identity: 'import',
        mailFromSubdomain: 'mx',
        hostedZoneId: 'Z0123456789ABCDEFGHIJ',
        hostedZoneName: 'example.com',
        dmarcPolicy: 'quarantine',
        dmarcReportAddress: 'dmarc@example.com',
        createDmarcRecord: false,
        vdm: true,
        accountVdm: false,
        dedicatedIpPool: 'managed',
      },
      receiptRuleSet: 'sendwell-prod-inbound',
    });
  });

  it('names every problem of the sending-domain context at once', () => {
    expect(() =>
      read({
        fromAddress: 'Sendwell <no-reply@mail.example.com>',
        sendingDomain: 'other.example.org',
        emailIdentity: 'borrow',
        hostedZoneId: 'not-a-zone',
        dmarcPolicy: 'strict',
        vdm: 'yes',
        dedicatedIpPool: 'a pool',
        receiptRuleSet: 'rules',
      }),
    ).toThrow(
      /sendingDomain "other.example.org" is not the domain of fromAddress[\s\S]*hostedZoneId "not-a-zone"[\s\S]*dedicatedIpPool "a pool"[\s\S]*dmarcPolicy "strict"[\s\S]*emailIdentity "borrow"[\s\S]*vdm "yes"[\s\S]*receiptRuleSet is only used with unsubscribeMailbox/,
    );
  });

  it('refuses a hosted zone that does not hold the sending domain', () => {
    expect(() => read({ fromAddress: 'a@mail.example.com', hostedZoneId: 'Z0123456789ABCDEFGHIJ', hostedZoneName: 'example.org' })).toThrow(
      /hostedZoneName "example.org" does not hold the sending domain "mail.example.com"/,
    );
  });

  describe('sendRate', () => {
    // `-c sendRate=…` arrives as a string, cdk.json's context as a number.
    it.each([
      ['50', 50],
      [' 14 ', 14],
      ['0.5', 0.5],
      [200, 200],
    ] as const)('reads %j as %d mails per second', (sendRate, expected) => {
      expect(read({ sendRate }).sendRate).toBe(expected);
    });

    it.each(['0', '-3', 'fast', '14/s', 'Infinity', 0, -1, Number.NaN, true, [14]])('rejects %j with a message naming the setting', (sendRate) => {
      expect(() => read({ sendRate })).toThrow(/sendRate ".*" is not a number greater than 0 \(mails per second, e\.g\. -c sendRate=50/);
    });
  });

  it('rejects a stage that cannot go into resource names', () => {
    expect(() => read({ stage: 'Prod_EU' })).toThrow(/stage "Prod_EU" is not valid/);
  });

  it('names every problem at once', () => {
    expect(() => read({ fromAddress: 'nobody', publicBaseUrl: 'http://x.example.com', alarmEmail: 'ops' })).toThrow(
      /fromAddress "nobody"[\s\S]*alarmEmail "ops"[\s\S]*must use https/,
    );
  });

  describe('unsubscribeMailbox', () => {
    const sending = { fromAddress: 'Sendwell <no-reply@mail.example.com>', postalAddress: '1 Main St' };

    it.each(['unsubscribe@mail.example.com', 'list+unsub@example.co.uk'])('accepts %s', (unsubscribeMailbox) => {
      expect(read({ ...sending, unsubscribeMailbox }).unsubscribeMailbox).toBe(unsubscribeMailbox);
    });

    // Checked as the functions check it at cold start (z.email()): what passes here cannot fail every function there.
    it.each(['Sendwell <unsubscribe@mail.example.com>', 'unsubscribe', 'unsubscribe@localhost', 'a b@example.com', 'a@example.com,b@example.com'])(
      'rejects %s',
      (unsubscribeMailbox) => {
        expect(() => read({ ...sending, unsubscribeMailbox })).toThrow(/unsubscribeMailbox ".*" is not a bare email address/);
      },
    );

    it('requires the sending settings the mailto function reads at cold start', () => {
      expect(() => read({ unsubscribeMailbox: 'unsubscribe@mail.example.com' })).toThrow(
        /fromAddress is required with unsubscribeMailbox[\s\S]*postalAddress is required with unsubscribeMailbox/,
      );
    });

    it('agrees with the runtime check of the variable (lambdas/adapters/container.ts)', () => {
      const accepts = (check: () => unknown) => {
        try {
          check();
          return true;
        } catch {
          return false;
        }
      };
      const runtimeEnv = {
        [ENV.publicBaseUrl]: 'https://mail.example.com',
        [ENV.fromAddress]: sending.fromAddress,
        [ENV.postalAddress]: sending.postalAddress,
      };
      for (const value of ['unsubscribe@mail.example.com', 'o\'brien@example.com', 'x@y', 'Name <a@b.example>', 'a@b', '.a@b.example']) {
        expect(accepts(() => read({ ...sending, unsubscribeMailbox: value })), value).toBe(
          accepts(() => parseSettings({ ...runtimeEnv, [ENV.unsubscribeMailbox]: value })),
        );
      }
    });
  });

  it('requires the From and postal addresses on production stages', () => {
    expect(() => read({ stage: 'prod' })).toThrow(/fromAddress is required[\s\S]*postalAddress is required/);
    expect(() => read({ stage: 'prod-eu', fromAddress: 'a@b.example', postalAddress: '1 Main St' })).not.toThrow();
  });
});

describe('stages', () => {
  it.each([
    ['prod', true],
    ['production', true],
    ['prod-eu', true],
    ['dev', false],
    ['producer', false],
    ['staging', false],
  ])('%s is production: %s', (stage, expected) => {
    expect(isProductionStage(stage)).toBe(expected);
  });

  it('gives each stage its own CloudFormation stack', () => {
    expect(stackName('dev')).toBe('Sendwell-dev');
    expect(stackName('prod')).toBe('Sendwell-prod');
  });
});
