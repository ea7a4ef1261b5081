import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Every test file names what it needs; nothing is global.
    globals: false,
    projects: [
      {
        test: {
          name: 'unit',
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
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
