import { createHash, randomBytes } from 'node:crypto';

/** Time-ordered, URL-safe ids: `rcp_` + 9 chars of time + 16 of randomness. */
export function newId(prefix: 'rcp' | 'msg' | 'cmp'): string {
  return `${prefix}_${Date.now().toString(36).padStart(9, '0')}${randomBytes(8).toString('hex')}`;
}

/** The message id an idempotency key stands for: the same key always names the same record. */
export function messageIdForKey(idempotencyKey: string): string {
  return `msg_k${createHash('sha256').update(`sendwell:idempotency:v1\0${idempotencyKey}`).digest('base64url').slice(0, 32)}`;
}

export function requestHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('base64url');
}
