import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The fault-injection suite (issue #9), apart from `npm test`: it starts its own Temporal dev server
// (persisted, so it can be restarted), its own PostgreSQL database, SMTP and SMS sinks and worker
// processes, and takes a few minutes. Run it with `npm run test:faults`.
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/faults/**/*.test.ts'],
    testTimeout: 12 * 60_000,
    hookTimeout: 3 * 60_000,
    fileParallelism: false,
    maxWorkers: 1,
  },
});
