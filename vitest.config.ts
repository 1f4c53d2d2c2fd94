import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    reporters: ['default', './test/summary-reporter.ts'],
    // The OSV index cache goes to a scratch folder, never the user's ~/.cache; CLI tests pass the environment on.
    env: { MLSEC_CACHE_DIR: join(tmpdir(), `mlsec-test-cache-${process.pid}`) },
  },
});
