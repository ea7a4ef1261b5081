/**
 * Who called an admin route, from what API Gateway's authorizer put into the event. Two kinds of caller reach the
 * same handlers:
 * - a service (or a person with AWS credentials) through the IAM authorizer (SigV4): `admin`, named by its ARN;
 * - a console user through the JWT authorizer (a Cognito ID token): the roles of their Cognito groups, named by the
 *   token's `email` (else `cognito:username`, else `sub`).
 * The local gateway builds both shapes from its bearer keys, so handlers cannot tell the local stack from AWS.
 */
import { ROLES, type Role } from '../../wiring/routes.ts';
import type { HttpEvent } from './http.ts';

export interface Caller {
  /** Recorded as the actor of every change (campaign history, ledger, suppressions). */
  readonly id: string;
  readonly roles: Role[];
  readonly kind: 'service' | 'user';
}

interface Authorizer {
  readonly iam?: { readonly userArn?: string | null; readonly callerId?: string | null };
  readonly jwt?: { readonly claims?: Readonly<Record<string, unknown>>; readonly scopes?: readonly string[] | null };
}

const KNOWN = new Set<string>(ROLES);

/**
 * The groups of a `cognito:groups` claim. API Gateway's HTTP API hands a JWT's array claim to the Lambda as a
 * bracketed, space-separated string (`"[marketing ops]"`); a real array (other integrations, tests) is read too.
 * Names that are not roles are ignored.
 *
 * @example
 * rolesFromGroups('[marketing ops]') // ['marketing', 'ops']
 * rolesFromGroups(['privacy', 'interns']) // ['privacy']
 */
export function rolesFromGroups(claim: unknown): Role[] {
  let names: string[] = [];
  if (Array.isArray(claim)) names = claim.filter((g): g is string => typeof g === 'string');
  else if (typeof claim === 'string') {
    const inner = claim.trim().replace(/^\[/, '').replace(/\]$/, '');
    names = inner.split(/[\s,]+/);
  }
  const roles = names.map((n) => n.trim()).filter((n): n is Role => KNOWN.has(n));
  return [...new Set(roles)];
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);

/**
 * The caller of an admin route. No authorizer context (a shell page served without credentials, a misrouted
 * event) is a user with no roles: refused everywhere but where nothing is held.
 */
export function callerOf(event: HttpEvent): Caller {
  const authorizer = (event.requestContext as { authorizer?: Authorizer }).authorizer;
  if (authorizer?.iam) {
    return { id: text(authorizer.iam.userArn) ?? text(authorizer.iam.callerId) ?? 'unknown', roles: ['admin'], kind: 'service' };
  }
  const claims = authorizer?.jwt?.claims;
  if (claims) {
    const id = text(claims.email) ?? text(claims['cognito:username']) ?? text(claims.sub) ?? 'unknown';
    return { id, roles: rolesFromGroups(claims['cognito:groups']), kind: 'user' };
  }
  return { id: 'unknown', roles: [], kind: 'user' };
}

/** Who called an admin route, for the audit trail: the caller's id (an IAM ARN, or a console user's address). */
export function actorOf(event: HttpEvent): string {
  return callerOf(event).id;
}
