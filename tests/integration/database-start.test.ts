import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'

import { sql } from 'drizzle-orm'
import { afterEach, describe, expect, it, vi } from 'vitest'

import { DatabaseStartError, openDatabase } from '@/db/connect.server'
import { avatars, spaces } from '@/db/schema'
import {
  createPostgresDatabase,
  postgresUrl,
  rowsOf,
} from '../support/databases'

const temps: string[] = []
async function tempDir() {
  const dir = await mkdtemp(path.join(tmpdir(), 'rollcall-start-'))
  temps.push(dir)
  return dir
}

afterEach(async () => {
  await Promise.all(
    temps.splice(0).map((dir) => rm(dir, { recursive: true, force: true })),
  )
})

/** A loopback port nothing listens on: bound by us, then released. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  if (typeof address !== 'object' || !address) throw new Error('no port')
  return address.port
}

async function startError(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(DatabaseStartError)
  return error as DatabaseStartError
}

describe('embedded database start', () => {
  it('creates its folder (and parents) and keeps data across restarts', async () => {
    const dataDir = path.join(await tempDir(), 'nested', 'data')
    const first = await openDatabase({ dataDir })
    await first.db.insert(spaces).values({ id: 'kept', version: 7 })
    await first.close()

    const second = await openDatabase({ dataDir })
    const rows = await second.db.select().from(spaces)
    await second.close()

    expect(rows.map((row) => [row.id, row.version])).toEqual([['kept', 7]])
    // Only the server's user may read the rosters it holds.
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700)
  })

  it('stops with a clear message when its data directory is damaged', async () => {
    const dataDir = await tempDir()
    await mkdir(path.join(dataDir, 'pglite'))
    await writeFile(path.join(dataDir, 'pglite', 'PG_VERSION'), 'garbage\n')
    // PGlite reports the failure on stderr as well as by throwing.
    vi.mocked(console.error).mockImplementation(() => {})

    const error = await startError(openDatabase({ dataDir }))

    expect(error.message).toContain('could not open the embedded database')
    expect(error.message).toContain(path.join(dataDir, 'pglite'))
    expect(error.message).toContain('move the folder away')
  })
})

describe('Postgres start', () => {
  it('stops with a clear message when the server cannot be reached', async () => {
    const port = await closedPort()
    const url = `postgres://someone:hunter2@127.0.0.1:${port}/rollcall`

    const error = await startError(openDatabase({ url }))

    expect(error.message).toContain(`could not connect to Postgres at`)
    expect(error.message).toContain(`127.0.0.1:${port}`)
    expect(error.message).toContain('ECONNREFUSED')
    expect(error.message).not.toContain('hunter2')
  })

  describe.skipIf(!postgresUrl)('on a real server', () => {
    it('stops with a clear message when the database does not exist', async () => {
      const url = new URL(postgresUrl!)
      url.pathname = '/rollcall_no_such_database'

      const error = await startError(openDatabase({ url: url.toString() }))

      expect(error.message).toMatch(/rollcall_no_such_database.*does not exist/)
    })

    it('lets instances starting together migrate once, under a lock', async () => {
      const created = await createPostgresDatabase()
      try {
        const opened = await Promise.all(
          [1, 2, 3].map(() => openDatabase({ url: created.url, poolSize: 2 })),
        )
        const [first] = opened
        const applied = await first!.db.execute(
          sql`select count(*)::int as count from drizzle.__drizzle_migrations`,
        )
        const rows = rowsOf(applied)
        await first!.db.select().from(avatars)
        await Promise.all(opened.map((database) => database.close()))

        const journal =
          await import('@/db/migrations/server/meta/_journal.json')
        expect(rows).toEqual([{ count: journal.entries.length }])
      } finally {
        await created.drop()
      }
    })
  })
})
