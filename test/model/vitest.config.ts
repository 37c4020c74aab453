import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The model-based suite's long mode (issue #12), apart from `npm test`: `npm run test:model` plays
// MODEL_LOANS (default 1,000) seeded scripts in batches on the real workers, one Temporal dev server
// (test/setup/global.ts) and a fresh PostgreSQL database per batch. A 90-second slice of the same
// model runs inside `npm test` (test/integration/model.test.ts).
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/model/**/*.test.ts'],
    globalSetup: ['test/setup/global.ts'],
    testTimeout: 3 * 3600_000,
    hookTimeout: 3 * 60_000,
    fileParallelism: false,
    maxWorkers: 1,
  },
});
