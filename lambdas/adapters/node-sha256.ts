/** SHA-256, or HMAC-SHA-256 when constructed with a key, from node:crypto: the hash shape `@smithy/signature-v4` takes. */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';

type Source = string | ArrayBuffer | ArrayBufferView;

const toBuffer = (data: Source): Buffer =>
  typeof data === 'string' ? Buffer.from(data, 'utf8') : ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);

export class NodeSha256 {
  readonly #hash: Hash | Hmac;
  constructor(key?: Source) {
    this.#hash = key === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(key));
  }
  update(data: Source): void {
    this.#hash.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
}
