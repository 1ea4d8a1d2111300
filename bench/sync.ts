// Sync throughput figures on loopback against Postgres, printed as ratios
// against baselines measured in the same run (the machine is shared and
// noisy). Needs a production build (`npm run build`) and a Postgres server
// it may create a database on: BENCH_DATABASE_URL, default
// postgres://postgres@127.0.0.1:5432/postgres.
//
//   npm run bench:sync
import { randomUUID } from 'node:crypto'

import postgres from 'postgres'

import { positionAfter } from '../sync/position'
import { startServer, type RunningServer } from '../tests/e2e/support/server'

const ADMIN_URL =
  process.env.BENCH_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/postgres'
const SECRET = 'bench-secret-'.padEnd(48, 'b')

async function createDatabase() {
  const name = `rollcall_bench_${Date.now()}`
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database ${name}`)
  await admin.end()
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async drop() {
      const again = postgres(ADMIN_URL, { max: 1, onnotice: () => {} })
      await again.unsafe(`drop database if exists ${name} with (force)`)
      await again.end()
    },
  }
}

interface Guest {
  cookie: string
  spaceId: string
}

async function newGuest(server: RunningServer): Promise<Guest> {
  const response = await fetch(`${server.url}/api/viewer`)
  const cookie = response.headers.getSetCookie()[0]!.split(';')[0]!
  const again = await fetch(`${server.url}/api/viewer`, { headers: { cookie } })
  const { spaceId } = (await again.json()) as { spaceId: string }
  return { cookie, spaceId }
}

function creates(count: number, firstId = 1) {
  let position: string | null = null
  return Array.from({ length: count }, (_, i) => {
    position = positionAfter(position)
    return {
      id: firstId + i,
      name: 'createAvatar',
      args: { id: randomUUID(), emoji: '🐝', name: `Bee ${i}`, position },
    }
  })
}

async function sync(
  server: RunningServer,
  guest: Guest,
  body: { clientId: string; cursor: string | null; mutations: unknown[] },
) {
  const response = await fetch(`${server.url}/api/sync`, {
    method: 'POST',
    headers: { cookie: guest.cookie, 'content-type': 'application/json' },
    body: JSON.stringify({ protocol: 2, schemaVersion: 1, ...body }),
  })
  if (response.status !== 200) {
    throw new Error(
      `sync answered ${response.status}: ${await response.text()}`,
    )
  }
  return (await response.json()) as { cursor: string; lastMutationId: number }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

async function timed<T>(run: () => Promise<T>): Promise<[number, T]> {
  const started = performance.now()
  const result = await run()
  return [performance.now() - started, result]
}

async function throughput(server: RunningServer, sql: postgres.Sql) {
  const CLIENTS = 50
  const BATCH = 50
  const guests = await Promise.all(
    Array.from({ length: CLIENTS }, () => newGuest(server)),
  )
  const batches = guests.map(() => creates(BATCH))

  const [routeMs] = await timed(() =>
    Promise.all(
      guests.map((guest, i) =>
        sync(server, guest, {
          clientId: randomUUID(),
          cursor: null,
          mutations: batches[i]!,
        }),
      ),
    ),
  )

  // Baseline: the same rows written straight to Postgres, one batched upsert
  // per client, concurrently, with nothing else (no auth, validation,
  // versions or exactly-once bookkeeping).
  const [baselineMs] = await timed(() =>
    Promise.all(
      batches.map((batch, i) => {
        const rows = batch.map((m) => ({
          space_id: `baseline-${i}`,
          id: m.args.id,
          emoji: m.args.emoji,
          name: m.args.name,
          position: m.args.position,
          version: m.id,
        }))
        return sql`insert into avatars ${sql(rows)}
          on conflict (space_id, id) do update set name = excluded.name`
      }),
    ),
  )

  const total = CLIENTS * BATCH
  const routeRate = total / (routeMs / 1000)
  const baselineRate = total / (baselineMs / 1000)
  console.log(
    `push throughput (${CLIENTS} clients x ${BATCH} mutations, concurrent):\n` +
      `  /api/sync          ${routeRate.toFixed(0).padStart(8)} mutations/s  (${routeMs.toFixed(0)} ms)\n` +
      `  postgres.js upsert ${baselineRate.toFixed(0).padStart(8)} rows/s       (${baselineMs.toFixed(0)} ms)\n` +
      `  ratio route/baseline: ${(routeRate / baselineRate).toFixed(3)}`,
  )
}

async function seedSpace(sql: postgres.Sql, spaceId: string, count: number) {
  const rows = Array.from({ length: count }, (_, i) => {
    // Fixed-width keys, written past the roster cap on purpose.
    const position = `${i.toString(36).padStart(4, '0')}z`
    return {
      space_id: spaceId,
      id: randomUUID(),
      emoji: '🐜',
      name: `Ant ${i}`,
      position,
      version: i + 1,
    }
  })
  for (let i = 0; i < rows.length; i += 1000) {
    await sql`insert into avatars ${sql(rows.slice(i, i + 1000))}`
  }
  await sql`insert into spaces (id, version) values (${spaceId}, ${count})`
}

async function emptyPulls(server: RunningServer, sql: postgres.Sql) {
  const ROUNDS = 60
  const result: Record<number, number> = {}
  for (const size of [10, 10_000]) {
    const guest = await newGuest(server)
    await seedSpace(sql, guest.spaceId, size)
    const clientId = randomUUID()
    const { cursor } = await sync(server, guest, {
      clientId,
      cursor: null,
      mutations: [],
    })
    const times: number[] = []
    for (let i = 0; i < ROUNDS; i++) {
      const [ms] = await timed(() =>
        sync(server, guest, { clientId, cursor, mutations: [] }),
      )
      times.push(ms)
    }
    result[size] = median(times)
  }
  console.log(
    `empty pull (median of ${ROUNDS}, up-to-date cursor):\n` +
      `  space of 10 avatars      ${result[10]!.toFixed(2)} ms\n` +
      `  space of 10,000 avatars  ${result[10_000]!.toFixed(2)} ms\n` +
      `  ratio 10,000/10: ${(result[10_000]! / result[10]!).toFixed(2)}`,
  )
}

/** 100 creates then 400 edits of them: a long offline session's queue. */
function offlineQueue() {
  const made = creates(100)
  const edits = Array.from({ length: 400 }, (_, i) => {
    const target = made[i % made.length]!.args.id
    return i % 2 === 0
      ? {
          id: 101 + i,
          name: 'renameAvatar',
          args: { id: target, name: `Edit ${i}` },
        }
      : {
          id: 101 + i,
          name: 'setActive',
          args: { id: target, isActive: i % 4 === 1 },
        }
  })
  return [...made, ...edits]
}

async function bigRound(server: RunningServer) {
  const times: number[] = []
  for (let run = 0; run < 5; run++) {
    const guest = await newGuest(server)
    const [ms, response] = await timed(() =>
      sync(server, guest, {
        clientId: randomUUID(),
        cursor: null,
        mutations: offlineQueue(),
      }),
    )
    if (response.lastMutationId !== 500) throw new Error('not acknowledged')
    times.push(ms)
  }
  console.log(
    `one round pushing and acknowledging 500 queued mutations (100 creates, 400 edits):\n` +
      `  median ${median(times).toFixed(0)} ms (runs: ${times.map((t) => t.toFixed(0)).join(', ')} ms)`,
  )
}

const database = await createDatabase()
const server = await startServer({
  DATABASE_URL: database.url,
  AUTH_SECRET: SECRET,
})
const sql = postgres(database.url, { max: 4, onnotice: () => {} })
try {
  console.log(
    `rollcall sync bench — ${new Date().toISOString()}, node ${process.version}`,
  )
  await throughput(server, sql)
  await emptyPulls(server, sql)
  await bigRound(server)
} finally {
  await sql.end()
  await server.stop()
  await database.drop()
}
