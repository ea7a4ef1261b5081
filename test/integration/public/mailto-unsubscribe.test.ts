/**
 * The `mailto:` URI of `List-Unsubscribe`: a recipient's mail client sends a mail to the unsubscribe mailbox; on AWS
 * SES receives it and invokes the handler with a receipt event. Here the test feeds the handler that event (the
 * shape of `test/fixtures/ses-receipt-lambda-event.json`) built from a real sent mail's header.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { SESEvent } from 'aws-lambda';
import { handler as mailtoHandler, tokenFromSubject } from '../../../lambdas/handlers/mailto-unsubscribe.ts';
import { asFunction } from '../../../local/table-access-guard.ts';
import { useGateway } from '../../support/suite.ts';
import { header } from '../../support/mailbox.ts';

// Checked against the function's table grants, as the local stack runs it.
const handler = asFunction('mailtoUnsubscribe', mailtoHandler);

const suite = useGateway('mailto');
const fixture = readFileSync(new URL('../../fixtures/ses-receipt-lambda-event.json', import.meta.url), 'utf8');
const receiptEvent = (subject: string, virus = 'PASS'): SESEvent => {
  const event = JSON.parse(fixture.replaceAll('__SUBJECT__', subject.replaceAll('"', '\\"'))) as SESEvent;
  event.Records[0]!.ses.receipt.virusVerdict.status = virus as 'PASS';
  return event;
};


describe('mailto unsubscribe', () => {
  it('List-Unsubscribe carries the https URI first and the mailto URI second', async () => {
    const r = await suite.s.recipient('mailto-header');
    await suite.s.sendMarketing({ recipientId: r.id });
    const value = header(await suite.s.lastMarketingMail(r.email), 'List-Unsubscribe')!;
    expect(value).toMatch(/^<http:\/\/127\.0\.0\.1:\d+\/u\/[\w-]+\.[\w-]+>, <mailto:unsubscribe@sendwell\.local\?subject=unsubscribe%20[\w-]+\.[\w-]+>$/);
  });

  it('a mail to the unsubscribe mailbox with the subject of the link unsubscribes, once', async () => {
    const r = await suite.s.recipient('mailto');
    await suite.s.sendMarketing({ recipientId: r.id });
    const value = header(await suite.s.lastMarketingMail(r.email), 'List-Unsubscribe')!;
    const mailto = /<mailto:([^>]+)>/.exec(value)![1]!;
    const subject = decodeURIComponent(new URL(`mailto:${mailto}`).searchParams.get('subject')!);

    expect(await handler(receiptEvent(subject))).toEqual({ outcomes: ['unsubscribed'] });
    expect(await handler(receiptEvent(`Re: ${subject}`))).toEqual({ outcomes: ['unsubscribed'] });
    const view = (await suite.api.get(`/v1/recipients/${r.id}`)).body;
    expect(view.consents[suite.s.topic]).toMatchObject({ status: 'opted_out', source: 'mailto' });
    const outs = (await suite.api.get(`/v1/recipients/${r.id}/ledger`)).body.entries.filter((e: { to: string }) => e.to === 'opted_out');
    expect(outs).toHaveLength(1);
    expect(await suite.s.sendMarketing({ recipientId: r.id })).toMatchObject({ status: 'held', reason: 'opted_out' });
  });

  it('changes nothing for a mail without a token, with a forged one, or that failed the virus check', async () => {
    const r = await suite.s.recipient('mailto-bad');
    await suite.s.sendMarketing({ recipientId: r.id });
    const value = header(await suite.s.lastMarketingMail(r.email), 'List-Unsubscribe')!;
    const token = tokenFromSubject(decodeURIComponent(/subject=([^>]+)>/.exec(value)![1]!))!;
    expect(await handler(receiptEvent('please remove me'))).toEqual({ outcomes: ['no_token'] });
    const forged = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    expect(await handler(receiptEvent(`unsubscribe ${forged}`))).toEqual({ outcomes: ['invalid_token'] });
    expect(await handler(receiptEvent(`unsubscribe ${token}`, 'FAIL'))).toEqual({ outcomes: ['rejected'] });
    expect((await suite.api.get(`/v1/recipients/${r.id}`)).body.consents[suite.s.topic].status).toBe('opted_in');
  });
});
