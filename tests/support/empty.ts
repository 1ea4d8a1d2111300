// Stands in for `server-only` under Vitest, which runs server modules in Node.
export {}
