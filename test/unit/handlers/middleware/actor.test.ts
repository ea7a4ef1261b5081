import { describe, expect, it } from 'vitest';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { actorOf, callerOf, rolesFromGroups } from '../../../../lambdas/handlers/middleware/actor.ts';
import { IAM_AUTHORIZER, jwtAuthorizer } from '../../../../local/gateway.ts';

const event = (authorizer?: unknown): APIGatewayProxyEventV2 =>
  ({ routeKey: 'GET /v1/me', requestContext: { ...(authorizer ? { authorizer } : {}) } }) as unknown as APIGatewayProxyEventV2;

const jwt = (claims: Record<string, unknown>) => event({ jwt: { claims, scopes: null } });

describe('callerOf', () => {
  it('a SigV4 (IAM) caller is a service with the admin role, named by its ARN', () => {
    const arn = 'arn:aws:iam::123456789012:role/checkout-service';
    expect(callerOf(event({ iam: { userArn: arn, callerId: 'AROAEXAMPLE:checkout' } }))).toEqual({ id: arn, roles: ['admin'], kind: 'service' });
    expect(callerOf(event(IAM_AUTHORIZER))).toEqual({ id: 'arn:aws:iam::000000000000:user/local-admin', roles: ['admin'], kind: 'service' });
  });

  it('reads cognito:groups as API Gateway passes it: a bracketed, space-separated string', () => {
    expect(callerOf(jwt({ 'cognito:groups': '[marketing ops]', email: 'ann@example.com', sub: 's-1' }))).toEqual({
      id: 'ann@example.com',
      roles: ['marketing', 'ops'],
      kind: 'user',
    });
    expect(callerOf(jwt({ 'cognito:groups': '[privacy]', email: 'p@example.com' })).roles).toEqual(['privacy']);
  });

  it('reads cognito:groups as a real array too', () => {
    expect(callerOf(jwt({ 'cognito:groups': ['privacy', 'admin'], email: 'b@example.com' })).roles).toEqual(['privacy', 'admin']);
  });

  it('ignores group names that are not roles, and repeats', () => {
    expect(rolesFromGroups('[interns ops eu-west-1_AbC_Google ops]')).toEqual(['ops']);
    expect(rolesFromGroups(['Marketing', 'marketing'])).toEqual(['marketing']);
    expect(rolesFromGroups(42)).toEqual([]);
    expect(rolesFromGroups('[]')).toEqual([]);
    expect(rolesFromGroups('marketing')).toEqual(['marketing']);
  });

  it('a token without groups has no roles', () => {
    expect(callerOf(jwt({ email: 'c@example.com', sub: 's-3' }))).toEqual({ id: 'c@example.com', roles: [], kind: 'user' });
  });

  it('names the user by email, else cognito:username, else sub', () => {
    expect(callerOf(jwt({ 'cognito:username': 'dora', sub: 's-4' })).id).toBe('dora');
    expect(callerOf(jwt({ sub: 's-5' })).id).toBe('s-5');
    expect(callerOf(jwt({ email: '', 'cognito:username': 'eve', sub: 's-6' })).id).toBe('eve');
  });

  it('no authorizer context: a user with no roles', () => {
    expect(callerOf(event())).toEqual({ id: 'unknown', roles: [], kind: 'user' });
  });

  it('the local gateway’s JWT context is read like API Gateway’s', () => {
    const caller = callerOf(event(jwtAuthorizer('marketing', ['marketing'])));
    expect(caller).toEqual({ id: 'marketing@local.invalid', roles: ['marketing'], kind: 'user' });
    const claims = (jwtAuthorizer('x', ['ops', 'privacy']) as { jwt: { claims: Record<string, unknown> } }).jwt.claims;
    expect(claims['cognito:groups']).toBe('[ops privacy]');
    expect(claims.token_use).toBe('id');
    for (const value of Object.values(claims)) expect(typeof value).toBe('string');
  });

  it('actorOf is the caller id (the audit trail)', () => {
    expect(actorOf(jwt({ 'cognito:groups': '[ops]', email: 'ops@example.com' }))).toBe('ops@example.com');
    expect(actorOf(event(IAM_AUTHORIZER))).toBe('arn:aws:iam::000000000000:user/local-admin');
  });
});
