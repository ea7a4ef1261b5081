/**
 * The campaign queues on AWS: SQS. Batches go ten to a SendMessageBatch call; an entry SQS refuses is sent again
 * once, then the call fails (the caller's own retry, or the queue's redelivery of its input, takes it from there).
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { sqsSdk } from './service-clients.ts';
import type { DeadLetter, SendBatch } from '../domain/campaign.ts';
import type { CampaignQueues } from '../services/deps.ts';

export interface QueueUrls {
  readonly launch: string | undefined;
  readonly send: string | undefined;
  readonly deadLetter: string | undefined;
}

export class SqsCampaignQueues implements CampaignQueues {
  readonly #sqs: SQSClient;
  readonly #urls: QueueUrls;

  constructor(sqs: SQSClient, urls: QueueUrls) {
    this.#sqs = sqs;
    this.#urls = urls;
  }

  async launch(campaignId: string): Promise<void> {
    await this.#sqs.send(new (sqsSdk().SendMessageCommand)({ QueueUrl: this.#url('launch'), MessageBody: JSON.stringify({ campaignId }) }));
  }

  async send(batches: readonly SendBatch[], delaySeconds = 0): Promise<void> {
    const url = this.#url('send');
    for (let i = 0; i < batches.length; i += 10) {
      let entries = batches.slice(i, i + 10).map((b, j) => ({ Id: String(j), MessageBody: JSON.stringify(b), DelaySeconds: Math.min(900, Math.max(0, Math.round(delaySeconds))) }));
      for (let attempt = 0; entries.length > 0; attempt++) {
        if (attempt > 1) throw new Error(`SQS refused ${entries.length} campaign batch(es)`);
        const out = await this.#sqs.send(new (sqsSdk().SendMessageBatchCommand)({ QueueUrl: url, Entries: entries }));
        const failed = new Set((out.Failed ?? []).map((f) => f.Id));
        entries = entries.filter((e) => failed.has(e.Id));
      }
    }
  }

  async deadLetter(letter: DeadLetter): Promise<void> {
    await this.#sqs.send(
      new (sqsSdk().SendMessageCommand)({
        QueueUrl: this.#url('deadLetter'),
        MessageBody: JSON.stringify(letter),
        MessageAttributes: { reason: { DataType: 'String', StringValue: letter.reason.slice(0, 256) } },
      }),
    );
  }

  #url(which: keyof QueueUrls): string {
    const url = this.#urls[which];
    if (!url) throw new Error(`The campaign ${which} queue URL is not set; this function has no campaigns:enqueue permission.`);
    return url;
  }
}
