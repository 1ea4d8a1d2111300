import { afterEach, beforeEach, vi } from 'vitest'

// An unexpected console.error fails the test that caused it. Tests that
// expect one spy on console.error themselves.
let errors: unknown[][] = []

beforeEach(() => {
  errors = []
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    errors.push(args)
  })
})

afterEach(() => {
  const seen = errors
  vi.mocked(console.error).mockRestore?.()
  if (seen.length > 0) {
    throw new Error(
      `unexpected console.error:\n${seen.map((args) => args.join(' ')).join('\n')}`,
    )
  }
})
