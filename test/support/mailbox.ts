/** Reads what the local SES captured: every mail as stored by aws-ses-v2-local (`GET /store`). */
import { inject } from 'vitest';

export interface CapturedMail {
  readonly messageId: string;
  readonly from: string;
  readonly destination: { readonly to: readonly string[] };
  readonly subject: string;
  readonly body: { readonly html?: string; readonly text?: string };
  readonly headers?: ReadonlyArray<{ readonly name: string; readonly value: string }>;
  readonly at: number;
}

export async function allMail(): Promise<CapturedMail[]> {
  const res = await fetch(`${inject('sendwell').sesEndpoint}/store`);
  if (!res.ok) throw new Error(`local SES store answered ${res.status}`);
  return ((await res.json()) as { emails: CapturedMail[] }).emails;
}

/** Mail sent to `address` (case-insensitive), oldest first. */
export async function mailTo(address: string): Promise<CapturedMail[]> {
  const lower = address.toLowerCase();
  return (await allMail()).filter((m) => m.destination.to.some((t) => t.toLowerCase().includes(lower)));
}

export const header = (mail: CapturedMail, name: string) =>
  mail.headers?.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;

/** A unique address per test, so tests sharing the run's servers never see each other's mail. */
export const uniqueAddress = (label: string) => `${label}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}@example.com`;

/** `href="…"` values of the HTML part. */
export const hrefs = (html: string) => [...html.matchAll(/href="([^"]+)"/g)].map((m) => (m[1] ?? '').replaceAll('&amp;', '&'));
