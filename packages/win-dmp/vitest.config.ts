import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The e2e files build the synthetic Windows guests under QEMU (cached, lock-protected) on first use.
  test: { include: ['test/**/*.test.ts'], testTimeout: 300_000, hookTimeout: 600_000, passWithNoTests: false },
});
