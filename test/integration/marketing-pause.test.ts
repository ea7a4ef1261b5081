/**
 * Marketing auto-pause, end to end: enough mail, then a hard-bounce rate over the threshold pauses marketing (once);
 * marketing is then held as `marketing_paused` while service mail goes out; only `POST /v1/marketing/resume` with a
 * reason resumes it, recorded with its actor; the bounces that caused the pause do not pause it again.
 *
 * The pause is stage-wide, so this file runs on tables of its own (the other test files of the run send marketing
 * on the shared ones), and with a small minimum volume (20 sent) instead of 1,000.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/wiring/env-keys.ts';
import { handler as sesEventsHandler } from '../../lambdas/handlers/ses-events.ts';
import { asFunction } from '../../local/table-access-guard.ts';
import { sesEvent } from '../support/ses-events.ts';
import { useGateway } from '../support/suite.ts';
import { settleFigures } from '../support/figures-stream.ts';
import { ownTables } from '../support/own-tables.ts';

// Checked against the function's table grants, as the local stack runs it.
const handler = asFunction('sesEvents', sesEventsHandler);

// Before anything reads the configuration: this file's own tables and a small minimum volume.
const createOwnTables = ownTables('pause');
process.env[ENV.pauseMinSent] = '20';

beforeAll(async () => {
  await createOwnTables();
}, 60_000);

const suite = useGateway('pause');

describe('marketing auto-pause', () => {
  it('pauses at the bounce-rate threshold once, holds only marketing, and resumes only by an explicit call', async () => {
    const { api, s } = suite;
    const sent: Array<{ messageId: string; sesId: string; address: string }> = [];
    const people: Array<{ id: string; email: string }> = [];
    for (let i = 0; i < 20; i++) {
      const r = await s.recipient(`p${i}`);
      const m = await s.sendMarketing({ recipientId: r.id });
      expect(m.status).toBe('sent');
      people.push(r);
      sent.push({ messageId: m.messageId, sesId: (await api.get(`/v1/messages/${m.messageId}`)).body.sesMessageId, address: r.email });
    }
    expect((await api.get('/v1/marketing')).body).toMatchObject({ paused: false, history: [] });

    // 1 hard bounce in 20 sent: 5 % ≥ 4.5 %. Judged once the bounce is counted, from the messages stream.
    expect(await handler(sesEvent('bounce-permanent', sent[0]!))).toBe('applied');
    await settleFigures();
    const metrics = (await api.get('/v1/metrics')).body;
    expect(metrics.marketing.paused).toBe(true);
    expect(metrics.marketing.pause).toMatchObject({
      actor: 'auto',
      reason: expect.stringMatching(/^auto-pause: bounce rate 5 % ≥ 4\.5 % over 20 sent/),
      figures: { sent: 20, bouncedHard: 1, bounceRate: 0.05 },
    });

    // A second bounce while paused does not pause again.
    expect(await handler(sesEvent('bounce-permanent', sent[1]!, { feedbackId: 'second-bounce' }))).toBe('applied');
    await settleFigures();
    const state = (await api.get('/v1/marketing')).body;
    expect(state.history).toEqual([expect.objectContaining({ action: 'pause', actor: 'auto' })]);

    // Held while paused: marketing only, with its own reason and count.
    expect(await s.sendMarketing({ recipientId: people[5]!.id })).toMatchObject({ status: 'held', reason: 'marketing_paused' });
    expect((await s.sendService({ recipientId: people[5]!.id })).status).toBe('sent');
    expect((await api.get('/v1/metrics')).body.totals.held.byReason).toEqual({ marketing_paused: 1 });
    // A recipient held for their own reason is reported with it, not with the pause.
    expect(await s.sendMarketing({ recipientId: people[0]!.id })).toMatchObject({ status: 'held', reason: 'undeliverable' });

    // Resuming needs a reason; it is recorded with the caller.
    expect((await api.post('/v1/marketing/resume', {})).status).toBe(400);
    const resumed = await api.post('/v1/marketing/resume', { reason: 'bad list segment removed' });
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ paused: false, ended: { actor: 'auto' } });
    const after = (await api.get('/v1/marketing')).body;
    expect(after).toMatchObject({ paused: false, lastResume: { actor: 'arn:aws:iam::000000000000:user/local-admin', reason: 'bad list segment removed' } });
    expect(after.history.map((h: { action: string }) => h.action)).toEqual(['resume', 'pause']);
    expect((await api.post('/v1/marketing/resume', { reason: 'again' })).status).toBe(409);

    // Marketing flows again, and a late bounce of mail sent before the resume does not pause it again.
    expect((await s.sendMarketing({ recipientId: people[6]!.id })).status).toBe('sent');
    expect(await handler(sesEvent('bounce-permanent', sent[2]!, { feedbackId: 'late-bounce' }))).toBe('applied');
    await settleFigures();
    expect((await api.get('/v1/marketing')).body.paused).toBe(false);

    // Ops can pause by hand too; pausing twice is a conflict.
    expect((await api.post('/v1/marketing/pause', { reason: 'investigating a spam trap' })).body).toMatchObject({ paused: true, pause: { actor: 'arn:aws:iam::000000000000:user/local-admin' } });
    expect((await api.post('/v1/marketing/pause', { reason: 'again' })).status).toBe(409);
    expect(await s.sendMarketing({ recipientId: people[7]!.id })).toMatchObject({ status: 'held', reason: 'marketing_paused' });
  });
});
