/**
 * The served OpenAPI document is read by the standard tools: swagger-parser validates and dereferences it, and
 * `redocly lint` with its recommended rules finds no error. Every reference points into `components`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { buildOpenApi } from '../../../lambdas/schemas/openapi.ts';
import { OPERATIONS } from '../../../lambdas/schemas/operations.ts';
import { ROUTES } from '../../../lambdas/wiring/routes.ts';

const repoRoot = resolve(import.meta.dirname, '../../..');
const document = buildOpenApi(ROUTES, OPERATIONS, { title: 'Sendwell admin API', version: '1' });
const dir = mkdtempSync(join(tmpdir(), 'sendwell-openapi-'));
const file = join(dir, 'openapi.json');
writeFileSync(file, JSON.stringify(document, null, 2));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const refsOf = (value: unknown, out: string[] = []): string[] => {
  if (Array.isArray(value)) value.forEach((v) => refsOf(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refsOf(v, out);
    }
  }
  return out;
};

describe('the OpenAPI document', () => {
  it('references only components that exist', () => {
    const refs = refsOf(document);
    expect(refs.length).toBeGreaterThan(50);
    const schemas = document.components.schemas as Record<string, unknown>;
    for (const ref of new Set(refs)) {
      expect(ref).toMatch(/^#\/components\/schemas\/[A-Za-z0-9_]+$/);
      expect(schemas, ref).toHaveProperty(ref.slice('#/components/schemas/'.length));
    }
    expect(JSON.stringify(document)).not.toContain('$defs');
  });

  it('passes swagger-parser validate (every reference resolves)', async () => {
    const api = await SwaggerParser.validate(structuredClone(document) as never);
    expect(Object.keys(api.paths ?? {}).length).toBe(new Set(ROUTES.map((r) => r.path)).size);
  });

  it('has no error under redocly lint (recommended rules)', async () => {
    const redocly = resolve(repoRoot, 'node_modules/.bin/redocly');
    const run = await promisify(execFile)(redocly, ['lint', file, '--format=json', '--extends=recommended'], { cwd: dir, maxBuffer: 32 * 1024 * 1024 }).catch(
      (e: { stdout: string; stderr: string; code: number }) => e,
    );
    const report = JSON.parse(run.stdout) as { totals: { errors: number; warnings: number }; problems: Array<{ ruleId: string; severity: string; message: string; location: Array<{ pointer: string }> }> };
    const errors = report.problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`);
    expect(errors).toEqual([]);
    expect(report.totals.errors).toBe(0);
  }, 60_000);

  it('declares held reasons as optional: only those that occurred are sent', () => {
    const schemas = document.components.schemas as Record<string, { properties: Record<string, { required?: string[] }> }>;
    expect(schemas.CampaignProgress!.properties.held!.required ?? []).toEqual([]);
    expect(schemas.CampaignPreview!.properties.held!.required ?? []).toEqual([]);
  });

  it('lists the query parameters of GET /v1/metrics', () => {
    const op = (document.paths['/v1/metrics'] as Record<string, { parameters: Array<{ name: string; in: string }> }>).get!;
    expect(op.parameters.filter((p) => p.in === 'query').map((p) => p.name).sort()).toEqual(['campaign', 'from', 'to', 'topic', 'variant']);
  });

  it('declares 400, 413 and 415 on every admin operation that reads a body', () => {
    for (const route of ROUTES.filter((r) => r.auth === 'admin')) {
      const op = OPERATIONS[route.operationId]!;
      if (!op.body && !op.rawBody) continue;
      const responses = (document.paths[route.path] as Record<string, { responses: Record<string, unknown> }>)[route.method.toLowerCase()]!.responses;
      expect(Object.keys(responses), route.operationId).toEqual(expect.arrayContaining(['400', '413', '415']));
    }
  });
});
