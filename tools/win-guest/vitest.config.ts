import { defineConfig } from 'vitest/config';

export default defineConfig({
  // e2e files boot TCG guests on 2 shared cores: run the files one after another (one guest at a time)
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 600_000,
    passWithNoTests: false,
    fileParallelism: false,
  },
});
