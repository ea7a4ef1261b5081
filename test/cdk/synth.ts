/**
 * Synthesizes the Sendwell app exactly as `bin/sendwell.ts` builds it (same context handling, same cdk-nag plugin),
 * once per process and context: bundling the functions takes a moment and every CDK test reads the same result.
 *
 * Other suites import {@link synthTemplate} too (the local gateway's routes are compared with `routeKeys`).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { IConstruct } from 'constructs';
import { createSendwellApp } from '../../lib/sendwell-app.ts';
import type { SendwellStack } from '../../lib/sendwell-stack.ts';

/** One rule's findings in `validation-report.json` (the parts the tests read). */
export interface ValidationViolation {
  readonly ruleName: string;
  readonly description: string;
  readonly severity: string;
  readonly violatingConstructs: readonly { readonly constructPath: string }[];
}

export interface ValidationReport {
  readonly pluginReports: readonly {
    readonly pluginName: string;
    readonly conclusion: string;
    readonly violations: readonly ValidationViolation[];
  }[];
}

/** A finding as the tests report it: `AwsSolutions-IAM5[Resource::*] (error) at Sendwell/Api/…`. */
export interface Finding {
  readonly plugin: string;
  readonly rule: string;
  readonly severity: string;
  readonly path: string;
  readonly description: string;
}

export interface SendwellSynth {
  readonly app: App;
  readonly stack: SendwellStack;
  readonly assembly: CloudAssembly;
  readonly template: Template;
  /** The synthesized template as plain JSON. */
  readonly json: {
    Resources: Record<
      string,
      { Type: string; Properties?: any; Metadata?: any; DeletionPolicy?: string; UpdateReplacePolicy?: string; DependsOn?: string[] }
    >;
    Outputs?: Record<string, any>;
  };
  /**
   * `RouteKey` of every `AWS::ApiGatewayV2::Route` of the IAM API (`HttpEndpoints`, the one the local gateway mirrors),
   * sorted (`GET /health`, …). The console API's routes (the admin routes again, JWT) are `consoleRouteKeys`.
   */
  readonly routeKeys: string[];
  /** `RouteKey` of every route of the console API (`ConsoleApi`, lib/console-api.ts), sorted. */
  readonly consoleRouteKeys: string[];
  /**
   * The `AWS::Lambda::Function` resources Sendwell builds (every one of `stack.functions`), without CDK's console
   * deployment handler (lib/console-site.ts), which runs only during deployments.
   */
  readonly sendwellFunctionResources: [string, SendwellSynth['json']['Resources'][string]][];
  /** `validation-report.json` of the cloud assembly: every finding no acknowledgement covered. */
  readonly validationReport: ValidationReport;
}

/**
 * Validation findings are reported, not thrown, so the template tests still run and the cdk-nag test can list every
 * finding at once. (`cdk synth` itself keeps the default: any finding fails the synth.)
 */
const REPORT_INSTEAD_OF_THROW = { '@aws-cdk/core:failSynthOnValidationErrors': false };

const cache = new Map<string, SendwellSynth>();

/** Synthesizes a fresh app (not cached): `extend` may add constructs before synthesis. */
export function synthApp(context: Record<string, unknown> = {}, extend?: (app: App, stack: SendwellStack) => void): SendwellSynth {
  const outdir = mkdtempSync(join(tmpdir(), 'sendwell-cdk-'));
  process.once('exit', () => rmSync(outdir, { recursive: true, force: true }));
  const app = new App({ outdir, context: { ...REPORT_INSTEAD_OF_THROW, ...context } });
  const stack = createSendwellApp(app);
  extend?.(app, stack);
  const assembly = app.synth();
  const json = assembly.getStackArtifact(stack.artifactId).template as SendwellSynth['json'];
  const idOf = (c: IConstruct) => stack.getLogicalId(c.node.defaultChild as CfnElement);
  const routeKeysOf = (api: IConstruct) =>
    Object.values(json.Resources)
      // `$default` (the no-route function) is no route of the route table.
      .filter((r) => r.Type === 'AWS::ApiGatewayV2::Route' && r.Properties?.ApiId?.Ref === idOf(api) && r.Properties?.RouteKey !== '$default')
      .map((r) => String(r.Properties?.RouteKey))
      .sort();
  const deploymentRole = idOf(stack.consoleSite.deploymentRole);
  const sendwellFunctionResources = Object.entries(json.Resources).filter(
    ([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties?.Role?.['Fn::GetAtt']?.[0] !== deploymentRole,
  );
  const validationReport = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as ValidationReport;
  return {
    app,
    stack,
    assembly,
    template: Template.fromJSON(json),
    json,
    routeKeys: routeKeysOf(stack.api.httpApi),
    consoleRouteKeys: routeKeysOf(stack.consoleApi.httpApi),
    sendwellFunctionResources,
    validationReport,
  };
}

/**
 * The Sendwell template for a context (default: none, as a plain `cdk synth` gives stage `dev`), synthesized once per
 * process.
 *
 * @example
 * const { template, routeKeys } = synthTemplate();
 * expect(routeKeys).toContain('GET /health');
 */
export function synthTemplate(context: Record<string, unknown> = {}): SendwellSynth {
  const key = JSON.stringify(context);
  let result = cache.get(key);
  if (!result) {
    result = synthApp(context);
    cache.set(key, result);
  }
  return result;
}

/** Every finding of every validation plugin in a report, flattened one per construct. */
export function findingsOf(report: ValidationReport): Finding[] {
  return report.pluginReports.flatMap((plugin) =>
    plugin.violations.flatMap((v) =>
      v.violatingConstructs.map((c) => ({
        plugin: plugin.pluginName,
        rule: v.ruleName,
        severity: v.severity,
        path: c.constructPath,
        description: v.description,
      })),
    ),
  );
}

/**
 * A template value as one string, the way cdk-nag names resources in its findings: `{"Fn::GetAtt": ["T", "Arn"]}` →
 * `<T.Arn>`, `{"Ref": "AWS::Region"}` → `<AWS::Region>`, `Fn::Join` joined. Lets a test compare ARNs built from
 * tokens, and compute the finding id cdk-nag reports for a resource (`AwsSolutions-IAM5[Resource::…]`).
 */
export function flattenCfn(value: unknown): string {
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (value && typeof value === 'object') {
    const o = value as Record<string, any>;
    if (o['Fn::Join']) return (o['Fn::Join'][1] as unknown[]).map(flattenCfn).join(o['Fn::Join'][0] as string);
    if (o['Fn::Sub']) return flattenCfn(o['Fn::Sub']);
    if (o['Fn::GetAtt']) return `<${flattenCfn(o['Fn::GetAtt'][0])}.${flattenCfn(o['Fn::GetAtt'][1])}>`;
    if (o.Ref) return `<${flattenCfn(o.Ref)}>`;
  }
  return JSON.stringify(value);
}
