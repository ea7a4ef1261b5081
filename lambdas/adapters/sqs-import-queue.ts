/** The import queue on AWS: SQS, ten chunk messages to a SendMessageBatch call; refused entries are sent again once. */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ImportChunkMessage, ImportQueue, ImportReadMessage } from '../services/import-jobs.ts';

export class SqsImportQueue implements ImportQueue {
  readonly #sqs: SQSClient;
  readonly #url: string | undefined;

  constructor(sqs: SQSClient, url: string | undefined) {
    this.#sqs = sqs;
    this.#url = url;
  }

  async enqueue(messages: ReadonlyArray<ImportChunkMessage | ImportReadMessage>): Promise<void> {
    if (!this.#url) throw new Error('The import queue URL is not set; this function has no imports:enqueue permission.');
    for (let i = 0; i < messages.length; i += 10) {
      let entries = messages.slice(i, i + 10).map((m, j) => ({ Id: String(j), MessageBody: JSON.stringify(m) }));
      for (let attempt = 0; entries.length > 0; attempt++) {
        if (attempt > 1) throw new Error(`SQS refused ${entries.length} import chunk message(s)`);
        const out = await this.#sqs.send(new SendMessageBatchCommand({ QueueUrl: this.#url, Entries: entries }));
        const failed = new Set((out.Failed ?? []).map((f) => f.Id));
        entries = entries.filter((e) => failed.has(e.Id));
      }
    }
  }
}
