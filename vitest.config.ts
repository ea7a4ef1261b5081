import { defineConfig } from 'vitest/config';

/**
 * Workers of the unit and integration projects: 1 (vitest's default on 2 cores) unless SENDWELL_TEST_WORKERS says
 * more. 2 ran the integration project in about half the time, but once pushed a 240-row import past the admin
 * function's 29 s timeout — then DynamoDB Local's stream walk (README, Tests; fixed since), not re-measured with two.
 */
const INTEGRATION_WORKERS = Number(process.env.SENDWELL_TEST_WORKERS ?? 1);

export default defineConfig({
  test: {
    // Every test file names what it needs; nothing is global.
    globals: false,
    projects: [
      {
        test: {
          name: 'unit',
          // Runs in the integration project's group (same group, same worker count: vitest's rule).
          maxWorkers: INTEGRATION_WORKERS,
          include: ['test/unit/**/*.test.ts'],
          // Property tests run hundreds of cases; on a busy 2-core CI machine 5 s is not enough for some of them.
          testTimeout: 30_000,
          // Pure modules, nothing global: one module graph per worker instead of one per file (import time 42 → 9 s).
          isolate: false,
        },
      },
      {
        test: {
          name: 'integration',
          // Browser tests (test/e2e) drive the same local stack, so they share this project's servers.
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          // Starts DynamoDB Local and the local SES once per run on free loopback ports, stops them by PID after.
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/integration-env.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // With SENDWELL_TEST_WORKERS=2, two files at a time: most of an integration file's minutes are waits
          // (campaign send rates, queue visibility, polling), which two files overlap. No file sees another's state:
          // every file that changes or reads stage-wide state (delivery settings, the marketing pause, roles, figures
          // of every topic) or runs the campaign engine has tables of its own (test/support/own-tables.ts); the rest
          // use their own recipients, topics, queues and subjects. startTestEngine refuses the shared tables.
          maxWorkers: INTEGRATION_WORKERS,
        },
      },
      {
        test: {
          // The fault suite (docs/faults.md): `npm start` killed and restarted, DynamoDB Local stopped and restarted,
          // SES outages. Each file starts the servers it needs (its own data folder, free ports) and stops them by PID.
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          // One file at a time: each starts its own DynamoDB Local (Java) and campaign, and they measure recovery,
          // which three stacks fighting for two cores would only blur.
          fileParallelism: false,
          // An outage makes the handlers log (and count) a lot: the figures the tests print would drown in it. Set
          // before any handler module loads; `npm start` children set their own level.
          env: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
          testTimeout: 600_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'cdk',
          include: ['test/cdk/**/*.test.ts'],
          // Every file in one process with one module graph, so test/cdk/synth.ts's memo is shared: each context is
          // synthesized (and its ~20 functions bundled with esbuild) once per run instead of once per file that reads
          // it (17 bundled syntheses → 6; the project's import time 1,166 → 556 s). One worker is what allows it
          // (vitest hands all files of a non-isolated single-worker project to one runner); a group of its own keeps
          // it at one when the other projects run more (vitest refuses two worker counts in one group).
          isolate: false,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
