import { defineConfig } from 'vitest/config';

// Two projects: pure domain tests run with nothing started; integration tests share one Temporal dev
// server and one fresh PostgreSQL database for the whole run (test/setup/global.ts), each file on its
// own task queue, because a server per file is far too slow on a 2-core machine.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // Pure tests first; the integration project (different worker count) runs after them.
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/setup/global.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Files run in parallel workers; each starts its own Temporal worker on its own task queue.
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
