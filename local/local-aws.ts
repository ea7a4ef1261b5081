/**
 * What the local stack gives the AWS SDK: a region and static credentials. DynamoDB Local and the local SES accept any
 * signature; these values are not secrets and open nothing on AWS.
 */
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
