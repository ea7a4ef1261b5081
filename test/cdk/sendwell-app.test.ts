/** The deployer's context: defaults, checks, and what production stages require. */
import { describe, expect, it } from 'vitest';
import { App } from 'aws-cdk-lib';
import { readDeployerContext, stackName } from '../../lib/sendwell-app.ts';
import { isProductionStage } from '../../lib/stage.ts';

const read = (context: Record<string, unknown>) => readDeployerContext(new App({ context }).node);

describe('readDeployerContext', () => {
  it('defaults to stage dev with nothing else set', () => {
    expect(read({})).toEqual({ stage: 'dev', fromAddress: undefined, publicBaseUrl: undefined, postalAddress: undefined, alarmEmail: undefined });
  });

  it('reads every parameter and trims a trailing slash from publicBaseUrl', () => {
    expect(
      read({
        stage: 'staging',
        fromAddress: 'Sendwell <no-reply@mail.example.com>',
        publicBaseUrl: 'https://mail.example.com/',
        postalAddress: 'Example Ltd, 1 Main St, Springfield',
        alarmEmail: 'ops@example.com',
      }),
    ).toEqual({
      stage: 'staging',
      fromAddress: 'Sendwell <no-reply@mail.example.com>',
      publicBaseUrl: 'https://mail.example.com',
      postalAddress: 'Example Ltd, 1 Main St, Springfield',
      alarmEmail: 'ops@example.com',
    });
  });

  it('rejects a stage that cannot go into resource names', () => {
    expect(() => read({ stage: 'Prod_EU' })).toThrow(/stage "Prod_EU" is not valid/);
  });

  it('names every problem at once', () => {
    expect(() => read({ fromAddress: 'nobody', publicBaseUrl: 'http://x.example.com', alarmEmail: 'ops' })).toThrow(
      /fromAddress "nobody"[\s\S]*alarmEmail "ops"[\s\S]*must use https/,
    );
  });

  it('requires the From and postal addresses on production stages', () => {
    expect(() => read({ stage: 'prod' })).toThrow(/fromAddress is required[\s\S]*postalAddress is required/);
    expect(() => read({ stage: 'prod-eu', fromAddress: 'a@b.example', postalAddress: '1 Main St' })).not.toThrow();
  });
});

describe('stages', () => {
  it.each([
    ['prod', true],
    ['production', true],
    ['prod-eu', true],
    ['dev', false],
    ['producer', false],
    ['staging', false],
  ])('%s is production: %s', (stage, expected) => {
    expect(isProductionStage(stage)).toBe(expected);
  });

  it('gives each stage its own CloudFormation stack', () => {
    expect(stackName('dev')).toBe('Sendwell-dev');
    expect(stackName('prod')).toBe('Sendwell-prod');
  });
});
