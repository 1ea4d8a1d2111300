import { defineConfig } from 'drizzle-kit'

// The browser replica's migration set: the replicated tables plus the
// client-only ones, never the server-only tables. Compiled into
// db/migrations/client/bundle.ts by scripts/bundle-client-migrations.ts.
export default defineConfig({
  dialect: 'postgresql',
  schema: ['./db/schema/replicated.ts', './db/schema/client.ts'],
  out: './db/migrations/client',
  strict: true,
})
