import type { HttpEvent } from './http.ts';

/** Who called an admin route: the IAM principal (SigV4 on AWS, the local admin on the local stack). */
export function actorOf(event: HttpEvent): string {
  const authorizer = (event.requestContext as { authorizer?: { iam?: { userArn?: string; callerId?: string } } }).authorizer;
  return authorizer?.iam?.userArn ?? authorizer?.iam?.callerId ?? 'unknown';
}
