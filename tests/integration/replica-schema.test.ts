import { PGlite } from '@electric-sql/pglite'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { openDatabase, type ServerDatabase } from '@/db/connect.server'
import {
  openReplicaDatabase,
  type ReplicaDatabase,
} from '@/sync/client/replica-db'
import { rowsOf } from '../support/databases'

interface Column {
  table_name: string
  column_name: string
  data_type: string
  is_nullable: string
  column_default: string | null
  collation_name: string | null
}

const columnsQuery = (table: string) => sql`
  select table_name, column_name, data_type, is_nullable, column_default, collation_name
  from information_schema.columns
  where table_schema = 'public' and table_name = ${table}
  order by column_name`

const tablesQuery = sql`
  select table_name from information_schema.tables
  where table_schema = 'public' order by table_name`

describe('the browser replica schema', () => {
  let server: ServerDatabase
  let replica: ReplicaDatabase
  let pglite: PGlite

  beforeAll(async () => {
    server = await openDatabase({ dataDir: 'memory://' })
    pglite = await PGlite.create()
    replica = await openReplicaDatabase(pglite)
  })

  afterAll(async () => {
    await server.close()
    await pglite.close()
  })

  it('has the replicated avatar columns exactly as the server has them', async () => {
    const onServer = rowsOf<Column>(
      await server.db.execute(columnsQuery('avatars')),
    )
    const onReplica = rowsOf<Column>(
      await replica.execute(columnsQuery('avatars')),
    )
    expect(onServer.length).toBeGreaterThan(5)
    expect(onReplica).toEqual(onServer)
  })

  it('keeps its last server state in the same shape', async () => {
    const avatars = rowsOf<Column>(
      await replica.execute(columnsQuery('avatars')),
    )
    const base = rowsOf<Column>(
      await replica.execute(columnsQuery('avatars_base')),
    )
    const strip = (rows: Column[]) =>
      rows.map(({ table_name: _, ...rest }) => rest)
    expect(strip(base)).toEqual(strip(avatars))
  })

  it('holds no server-only table, and the server holds no client-only one', async () => {
    const names = (rows: unknown) =>
      rowsOf<{ table_name: string }>(rows).map((row) => row.table_name)
    expect(names(await replica.execute(tablesQuery))).toEqual([
      'avatars',
      'avatars_base',
      'outbox',
      'sync_state',
    ])
    expect(names(await server.db.execute(tablesQuery))).not.toContain('outbox')
  })

  it('applies its migrations once, so reopening is harmless', async () => {
    await openReplicaDatabase(pglite)
    const applied = rowsOf<{ count: number }>(
      await replica.execute(
        sql`select count(*)::int as count from drizzle.__drizzle_migrations`,
      ),
    )
    expect(applied).toEqual([{ count: 1 }])
  })
})
