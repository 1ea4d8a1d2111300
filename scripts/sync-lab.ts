// The conflict lab: headless clients edit one space offline and online,
// through cut requests, answers lost after commit and server faults, then
// sync until quiet; the lab checks they all converged on the server.
//
//   npm run sync:lab                       # the lab's own server, in process
//   npm run sync:lab -- --seed 7 --steps 400 --clients 5 --trace
//   npm run sync:lab -- --url http://localhost:3000   # a running Rollcall
//
// Exits 0 when every check holds, 1 when one fails, 2 on bad arguments.
import { parseArgs } from 'node:util'

import { openDatabase, type ServerDatabase } from '../db/connect.server'
import { connectHttpTarget } from '../sync/lab/http-target'
import {
  type LabHttpServer,
  startLabHttpServer,
} from '../sync/lab/http-server.server'
import { seededUuids } from '../sync/lab/random'
import type { ReplicaKind } from '../sync/lab/replicas'
import { formatReport } from '../sync/lab/report'
import { runLab } from '../sync/lab/runner'
import { randomSchedule } from '../sync/lab/schedule'
import type { LabTarget } from '../sync/lab/target'

const USAGE = `usage: npm run sync:lab -- [--clients N] [--steps N] [--seed N] [--url URL]
                        [--replicas pglite|memory] [--trace]

  --clients   headless clients editing one space (default 3)
  --steps     schedule steps: edits, rounds, offline, reconnects (default 150)
  --seed      makes the schedule (default: random, printed to rerun it)
  --url       a running Rollcall to test instead of the lab's own server
  --replicas  each client's storage (default pglite, as in the browser)
  --trace     print every step`

interface Settings {
  clients: number
  steps: number
  seed: number
  url?: string
  replicas: ReplicaKind
  trace: boolean
}

function parseSettings(argv: string[]): Settings {
  const { values } = parseArgs({
    args: argv,
    options: {
      clients: { type: 'string', default: '3' },
      steps: { type: 'string', default: '150' },
      seed: { type: 'string' },
      url: { type: 'string' },
      replicas: { type: 'string', default: 'pglite' },
      trace: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  })
  if (values.help) throw new UsageError('')
  const replicas = values.replicas
  if (replicas !== 'pglite' && replicas !== 'memory') {
    throw new UsageError(`--replicas must be pglite or memory, not ${replicas}`)
  }
  return {
    clients: integer('clients', values.clients, 1, 26),
    steps: integer('steps', values.steps, 0, 100_000),
    seed:
      values.seed === undefined
        ? Math.floor(Math.random() * 2 ** 31)
        : integer('seed', values.seed, 0, 2 ** 32 - 1),
    url: values.url,
    replicas,
    trace: values.trace,
  }
}

class UsageError extends Error {}

function integer(name: string, raw: string, min: number, max: number) {
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(
      `--${name} must be an integer from ${min} to ${max}, not ${raw}`,
    )
  }
  return value
}

async function main(): Promise<number> {
  let settings: Settings
  try {
    settings = parseSettings(process.argv.slice(2))
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    console.error(message ? `${message}\n\n${USAGE}` : USAGE)
    return message ? 2 : 0
  }

  let database: ServerDatabase | undefined
  let server: LabHttpServer | undefined
  let target: LabTarget
  if (settings.url) {
    target = await connectHttpTarget(settings.url)
  } else {
    database = await openDatabase({ dataDir: 'memory://' })
    server = await startLabHttpServer(database.db)
    target = await connectHttpTarget(server.url, {
      probe: server.probe,
      label: `the lab's HTTP server (${server.url}, runSync on in-memory PGlite)`,
    })
  }

  try {
    const report = await runLab({
      target,
      schedule: randomSchedule(settings),
      replicas: settings.replicas,
      // A fresh database replays a seed exactly; a shared server needs ids
      // no earlier run used.
      newId: settings.url ? undefined : seededUuids(settings.seed),
      trace: settings.trace ? (line) => console.log(`  ${line}`) : undefined,
    })
    console.log(formatReport(report, { seed: settings.seed }))
    if (!report.passed) {
      const { clients, steps, seed, replicas } = settings
      console.log(
        `\nrerun with: npm run sync:lab -- --clients ${clients} --steps ${steps} --seed ${seed} --replicas ${replicas} --trace`,
      )
    }
    return report.passed ? 0 : 1
  } finally {
    await target.close()
    await server?.close()
    await database?.close()
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('sync lab crashed:', error)
    process.exit(1)
  },
)
