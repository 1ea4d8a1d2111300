import path from 'node:path'

import { defineConfig } from 'vitest/config'

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
    include: ['tests/unit/**/*.test.ts', 'tests/integration/**/*.test.ts'],
    setupFiles: ['tests/support/setup.ts'],
    environment: 'node',
    // next-auth imports `next/server` without an extension, which Node's
    // own resolver refuses; let Vite resolve it instead.
    server: { deps: { inline: ['next-auth'] } },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // PGlite instances are heavy; two cores, two workers.
    maxWorkers: 2,
  },
})
