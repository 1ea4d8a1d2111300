import { defineConfig } from 'drizzle-kit'

// The server's migration set. The browser replica gets its own set later,
// generated from db/schema/replicated.ts alone.
export default defineConfig({
  dialect: 'postgresql',
  schema: ['./db/schema/replicated.ts', './db/schema/server.ts'],
  out: './db/migrations/server',
  strict: true,
})
