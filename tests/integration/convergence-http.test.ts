import { spawn } from 'node:child_process'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { openDatabase, type ServerDatabase } from '@/db/connect.server'
import { connectHttpTarget } from '@/sync/lab/http-target'
import {
  type LabHttpServer,
  startLabHttpServer,
} from '@/sync/lab/http-server.server'
import { formatReport } from '@/sync/lab/report'
import { runLab } from '@/sync/lab/runner'
import { randomSchedule } from '@/sync/lab/schedule'

/**
 * The conflict lab over HTTP: headless clients on PGlite replicas against
 * the lab's own loopback server (the same request checks and round as the
 * route), and `npm run sync:lab` itself, in its default mode and against a
 * URL.
 */

let database: ServerDatabase
let server: LabHttpServer

beforeAll(async () => {
  database = await openDatabase({ dataDir: 'memory://' })
  server = await startLabHttpServer(database.db)
})

afterAll(async () => {
  await server?.close()
  await database?.close()
})

/** Runs `npm run sync:lab -- …args`; resolves with its exit code and output. */
function labCli(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'sync:lab', '--', ...args], {
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (chunk) => (out += chunk))
    child.stderr.on('data', (chunk) => (out += chunk))
    child.once('error', reject)
    child.once('exit', (code) => resolve({ code, out }))
  })
}

describe('the conflict lab over HTTP', () => {
  it('converges PGlite replicas through the lab server, checked by its ledger', async () => {
    const target = await connectHttpTarget(server.url, { probe: server.probe })
    const report = await runLab({
      target,
      schedule: randomSchedule({ clients: 3, steps: 60, seed: 2024 }),
      replicas: 'pglite',
    })

    expect(report.passed, formatReport(report)).toBe(true)
    expect(report.checks.map((check) => check.name)).toContain(
      'each mutation processed exactly once (server ledger)',
    )
    expect(report.rounds.answered).toBeGreaterThan(report.clients)
  }, 120_000)

  it('gives each new visitor its own space, shared by the clients of one cookie', async () => {
    const first = await connectHttpTarget(server.url)
    const second = await connectHttpTarget(server.url)
    expect(first.spaceId).not.toBe(second.spaceId)
    expect(await first.listAvatars()).toEqual([])
  })

  it.each([
    ['no cookie', {}, 401, 'viewer/unknown'],
    [
      'another site',
      {
        origin: 'https://elsewhere.example',
        'content-type': 'application/json',
      },
      403,
      'request/cross-origin',
    ],
    [
      'not JSON',
      { 'content-type': 'text/plain' },
      415,
      'request/unsupported-media-type',
    ],
  ])(
    'refuses a sync request with %s as the route does',
    async (_, headers, status, code) => {
      const viewer = await fetch(`${server.url}/api/viewer`)
      const cookie = viewer.headers.getSetCookie()[0]!.split(';')[0]!
      const response = await fetch(`${server.url}/api/sync`, {
        method: 'POST',
        headers: status === 401 ? headers : { cookie, ...headers },
        body: '{}',
      })

      expect(response.status).toBe(status)
      expect(await response.json()).toMatchObject({ error: { code } })
    },
  )

  it('npm run sync:lab starts its own server, converges and says PASS', async () => {
    const { code, out } = await labCli([
      '--steps',
      '40',
      '--seed',
      '11',
      '--replicas',
      'memory',
    ])

    expect(out).toMatch(/result\s+PASS/)
    expect(out).toContain("the lab's HTTP server")
    expect(code).toBe(0)
  }, 120_000)

  it('npm run sync:lab --url drives a running server', async () => {
    const { code, out } = await labCli([
      '--url',
      server.url,
      '--clients',
      '2',
      '--steps',
      '30',
      '--seed',
      '5',
      '--replicas',
      'memory',
    ])

    expect(out).toMatch(/result\s+PASS/)
    expect(out).toContain(server.url)
    expect(code).toBe(0)
  }, 120_000)
})
