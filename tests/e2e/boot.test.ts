import { once } from 'node:events'
import { rm } from 'node:fs/promises'

import { describe, expect, it } from 'vitest'

import { freePort, spawnServer } from './support/server'

/** Starts a server expected to refuse to start; returns its exit and output. */
async function failedStart(env: Record<string, string>) {
  const { child, dataDir, output } = await spawnServer(env)
  const timer = setTimeout(() => child.kill('SIGKILL'), 45_000)
  const [code] = (await once(child, 'exit')) as [number | null]
  clearTimeout(timer)
  await rm(dataDir, { recursive: true, force: true })
  return { code, output: output() }
}

describe('a start that cannot succeed stops with a message', () => {
  it('stops when DATABASE_URL is set without AUTH_SECRET', async () => {
    const port = await freePort()
    const result = await failedStart({
      DATABASE_URL: `postgres://nobody@127.0.0.1:${port}/none`,
    })
    expect(result.code).toBe(1)
    expect(result.output).toContain('[boot] cannot start')
    expect(result.output).toContain('AUTH_SECRET is required')
  })

  it('stops when the Postgres server cannot be reached', async () => {
    const port = await freePort()
    const result = await failedStart({
      DATABASE_URL: `postgres://nobody:pa55word@127.0.0.1:${port}/none`,
      AUTH_SECRET: 'e2e-secret-'.padEnd(40, 'x'),
    })
    expect(result.code).toBe(1)
    expect(result.output).toContain('could not connect to Postgres')
    expect(result.output).not.toContain('pa55word')
  })

  it('stops and lists every bad variable', async () => {
    const result = await failedStart({
      DATABASE_URL: 'mysql://x',
      LOG_LEVEL: 'chatty',
    })
    expect(result.code).toBe(1)
    expect(result.output).toContain('DATABASE_URL')
    expect(result.output).toContain('LOG_LEVEL')
  })
})
