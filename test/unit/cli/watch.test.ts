/**
 * `campaigns watch` against a loopback server that plays a scripted sequence of campaign documents: the CLI's own
 * polling, drawing, stopping and exit code (the engine behind the real endpoint is tested on its own).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../../../cli/main.ts';
import { campaignDoc, recordedIo, scriptedServer, type ScriptedServer } from '../../support/cli.ts';

const KEY = 'swl_unit_test_key_0123456789';

const campaign = campaignDoc;

const SCRIPT = [
  campaign('sending', { audienceComplete: false, targeted: 60, remaining: 60 }),
  campaign('sending', { sent: 30, held: { not_opted_in: 5 }, heldTotal: 5, remaining: 65, ratePerSecond: 35, etaSeconds: 2 }),
  campaign('sending', { sent: 80, held: { not_opted_in: 8, suppressed: 2 }, heldTotal: 10, failed: 1, remaining: 9, ratePerSecond: 45.5, etaSeconds: 1 }),
  campaign('completed', { sent: 88, held: { not_opted_in: 9, suppressed: 2 }, heldTotal: 11, failed: 1, remaining: 0, ratePerSecond: 44 }),
];

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function watch(answer: Parameters<typeof scriptedServer>[0], options: { tty?: boolean; json?: boolean; onPoll?: (io: ReturnType<typeof recordedIo>, n: number) => void } = {}) {
  const io = recordedIo({ SENDWELL_ADMIN_KEY: KEY }, { tty: options.tty ?? false, columns: 120 });
  server = await scriptedServer((request, i) => {
    options.onPoll?.(io, i);
    return answer(request, i);
  });
  const code = await run(['campaigns', 'watch', 'cmp_1', '--interval', '0.01', '--api', server.url, ...(options.json ? ['--json'] : [])], io);
  return { code, io, requests: server.requests };
}

describe('campaigns watch', () => {
  it('polls until the campaign completes, a line per change, then the summary and exit 0', async () => {
    const { code, io, requests } = await watch((_, i) => [200, SCRIPT[Math.min(i, SCRIPT.length - 1)]]);
    expect(code).toBe(0);
    // Stops at `completed`: no poll after it.
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual(Array(4).fill('GET /v1/campaigns/cmp_1'));
    expect(requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(io.stderr().split('\n')).toEqual([
      '0/≥60  sent 0 · held 0 · failed 0 · sending',
      '35/100  sent 30 · held 5 (not_opted_in 5) · failed 0 · 35/s · ETA 2s · sending',
      '91/100  sent 80 · held 10 (not_opted_in 8, suppressed 2) · failed 1 · 46/s · ETA 1s · sending',
      '100/100  sent 88 · held 11 (not_opted_in 9, suppressed 2) · failed 1 · 44/s · completed',
      '',
    ]);
    expect(io.stdout()).toBe('Campaign cmp_1 completed: 100/100  sent 88 · held 11 (not_opted_in 9, suppressed 2) · failed 1 · 44/s · completed\n');
  });

  it('on a terminal, redraws one line with a bar', async () => {
    const { code, io } = await watch((_, i) => [200, SCRIPT[Math.min(i, SCRIPT.length - 1)]], { tty: true });
    expect(code).toBe(0);
    const frames = io.stderr().split('\r\u001b[2K').filter(Boolean);
    expect(frames).toHaveLength(4);
    expect(frames[1]).toMatch(/^\[#+\.+\]  35% 35\/100  sent 30 /);
    // 120 columns: the bar gives way so the whole line fits.
    expect(frames[3]).toMatch(/^\[#{10,40}\] 100% 100\/100 .*completed\n$/);
    for (const frame of frames) expect(frame.replace(/\n$/, '').length).toBeLessThan(120);
  });

  it('stops at a pause and says how to resume; --json prints each document', async () => {
    const paused = campaign('paused', { sent: 10, remaining: 90 }, { pauseReason: 'ses_sending_paused' });
    const { code, io } = await watch((_, i) => [200, i === 0 ? SCRIPT[1] : paused]);
    expect(code).toBe(0);
    expect(io.stdout()).toBe('Campaign cmp_1 is paused: 10/100  sent 10 · held 0 · failed 0 · paused (ses_sending_paused)\nResume it with `sendwell campaigns resume cmp_1`.\n');

    await server?.stop();
    const json = await watch((_, i) => [200, i === 0 ? SCRIPT[1] : paused], { json: true });
    expect(json.code).toBe(0);
    expect(json.io.stdout().trim().split('\n').map((l) => JSON.parse(l).status)).toEqual(['sending', 'paused']);
    expect(json.io.stderr()).toBe('');
  });

  it('Ctrl-C stops the watching, not the campaign: no request but GETs, exit 0', async () => {
    const { code, io, requests } = await watch(() => [200, SCRIPT[1]], { onPoll: (recorded, n) => n === 2 && recorded.interrupt() });
    expect(code).toBe(0);
    expect(requests).toHaveLength(3);
    expect(requests.every((r) => r.method === 'GET')).toBe(true);
    expect(io.stderr().trim().split('\n').at(-1)).toBe('Stopped watching; campaign cmp_1 goes on (sending).');
  });

  it('rides out a passing server error, gives up on an unknown campaign with exit 1', async () => {
    const flaky = await watch((_, i) => (i === 1 ? [503, { message: 'Service Unavailable' }] : [200, SCRIPT[Math.min(i, 3)]]));
    expect(flaky.code).toBe(0);
    expect(flaky.requests).toHaveLength(4);

    await server?.stop();
    const missing = await watch(() => [404, { error: { code: 'not_found', message: 'No campaign cmp_1.', details: [] } }]);
    expect(missing.code).toBe(1);
    expect(missing.requests).toHaveLength(1);
    expect(missing.io.stderr()).toBe('sendwell: No campaign cmp_1. (HTTP 404, not_found)\n');
  });

  it('gives up after three failed polls in a row', async () => {
    const { code, io, requests } = await watch(() => [500, { message: 'Internal Server Error' }]);
    expect(code).toBe(1);
    expect(requests).toHaveLength(3);
    expect(io.stderr()).toBe('sendwell: Internal Server Error (HTTP 500, http_500)\n');
  });
});
