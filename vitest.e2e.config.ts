import path from 'node:path'

import { defineConfig } from 'vitest/config'

// Browser and process-level tests against a production build (`next build`
// once, then `next start` per file on a free loopback port).
export default defineConfig({
  resolve: {
    alias: {
      'server-only': path.resolve(
        import.meta.dirname,
        'tests/support/empty.ts',
      ),
      '@': import.meta.dirname,
    },
  },
  test: {
    include: ['tests/e2e/**/*.test.ts'],
    globalSetup: [
      path.resolve(import.meta.dirname, 'tests/e2e/support/build.ts'),
    ],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // One server and one Chromium at a time: the machine has two cores.
    fileParallelism: false,
  },
})
