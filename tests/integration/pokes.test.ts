import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'

import {
  createLocalPokeBus,
  createPostgresPokeBus,
  type PokeBus,
} from '@/sync/server/pokes.server'
import { createPostgresDatabase, postgresUrl } from '../support/databases'

describe('in-process pokes (embedded database)', () => {
  it('pokes the listeners of one space only, until they unsubscribe', async () => {
    const bus = createLocalPokeBus()
    const mine = vi.fn()
    const other = vi.fn()
    const stop = bus.subscribe('space-a', mine)
    bus.subscribe('space-b', other)

    await bus.publish('space-a')
    stop()
    await bus.publish('space-a')

    expect(mine).toHaveBeenCalledTimes(1)
    expect(other).not.toHaveBeenCalled()
  })
})

describe.skipIf(!postgresUrl)('pokes through Postgres LISTEN/NOTIFY', () => {
  let drop: () => Promise<void>
  let one: PokeBus
  let two: PokeBus

  beforeAll(async () => {
    const created = await createPostgresDatabase()
    drop = created.drop
    // Two buses on two connections stand for two server instances.
    one = await createPostgresPokeBus(created.url)
    two = await createPostgresPokeBus(created.url)
  })

  afterAll(async () => {
    await one?.close()
    await two?.close()
    await drop?.()
  })

  it('reaches the listeners of another instance, for that space only', async () => {
    const heard = new Promise<string>((resolve) =>
      two.subscribe('space-a', () => resolve('space-a')),
    )
    const other = vi.fn()
    two.subscribe('space-b', other)

    await one.publish('space-a')

    expect(await heard).toBe('space-a')
    expect(other).not.toHaveBeenCalled()
  })
})
