import { afterAll, beforeAll, expect, it } from 'vitest'

import { connectHttpTarget } from '@/sync/lab/http-target'
import { formatReport } from '@/sync/lab/report'
import { runLab } from '@/sync/lab/runner'
import { randomSchedule } from '@/sync/lab/schedule'
import { type RunningServer, startServer } from './support/server'

/**
 * The conflict lab against the real route: a production server on a fresh
 * embedded database, headless clients on PGlite replicas sharing one guest
 * cookie, as `npm run sync:lab -- --url` drives a running Rollcall.
 */

let server: RunningServer

beforeAll(async () => {
  server = await startServer()
})

afterAll(async () => {
  await server?.stop()
})

it('converges headless clients editing one space through POST /api/sync', async () => {
  const target = await connectHttpTarget(server.url)
  const report = await runLab({
    target,
    schedule: randomSchedule({ clients: 3, steps: 80, seed: 4 }),
    replicas: 'pglite',
  })

  expect(report.passed, formatReport(report)).toBe(true)
  expect(report.rounds.lost).toBeGreaterThan(0)
  expect(report.rounds.cut).toBeGreaterThan(0)
  expect(report.conflicts).toBeGreaterThan(0)
  // Faults inside the server's transaction need the lab's own server.
  expect(report.rounds.serverFaults).toBe(0)
  expect(server.output()).not.toMatch(/\[sync\].*(error|failed)/i)
}, 120_000)
