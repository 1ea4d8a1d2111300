import { QueryClient } from '@tanstack/react-query'
import { describe, expect, it } from 'vitest'

import {
  belongsToSpace,
  cacheBuster,
  cacheKey,
  CACHE_MAX_AGE_MS,
  CACHE_SHAPE,
} from '@/app/replica/cache-key'
import { invalidate, queriesForChange } from '@/app/replica/invalidation'
import { rosterKeys, viewerKeys } from '@/app/roster/query-keys'
import { SCHEMA_VERSION } from '@/sync/protocol'

describe('the persisted query cache', () => {
  it('is busted by the schema epoch and the data shape, not by a build', () => {
    expect(cacheBuster()).toBe(`schema-${SCHEMA_VERSION}:${CACHE_SHAPE}`)
    expect(cacheBuster(SCHEMA_VERSION + 1)).not.toBe(cacheBuster())
    expect(cacheBuster(SCHEMA_VERSION, 'roster-2')).not.toBe(cacheBuster())
  })

  it('is kept per space', () => {
    expect(cacheKey('space-a')).not.toBe(cacheKey('space-b'))
  })

  it('lives for days', () => {
    expect(CACHE_MAX_AGE_MS).toBeGreaterThanOrEqual(24 * 60 * 60 * 1000)
  })

  it.each([
    [viewerKeys.current(), 'space-a', true],
    [rosterKeys.all('space-a'), 'space-a', true],
    [rosterKeys.all('space-b'), 'space-a', false],
    [rosterKeys.root(), 'space-a', false],
    [rosterKeys.mutation('create'), 'space-a', false],
    [['viewer', 'other'], 'space-a', false],
  ])('keeps %j for %s: %s', (key, spaceId, kept) => {
    expect(belongsToSpace(key, spaceId)).toBe(kept)
  })
})

describe('invalidation after a change of the replica', () => {
  it('marks the space’s roster stale when avatars changed', () => {
    expect(queriesForChange('space-a', ['a1'])).toEqual([
      rosterKeys.all('space-a'),
    ])
    expect(queriesForChange('space-a', 'all')).toEqual([
      rosterKeys.all('space-a'),
    ])
  })

  it('marks nothing stale when nothing changed', () => {
    expect(queriesForChange('space-a', [])).toEqual([])
  })
})

describe('refreshing the roster after the replica changed', () => {
  const spaceId = 'guest-1'
  const key = rosterKeys.all(spaceId)

  function stale(client: QueryClient): boolean {
    return client.getQueryState(key)?.isInvalidated ?? false
  }

  it('waits while a roster write is on its way in, then refreshes', async () => {
    const client = new QueryClient()
    client.setQueryData(key, [])
    let finish = () => {}
    const stored = new Promise<void>((resolve) => (finish = resolve))
    const write = client
      .getMutationCache()
      .build(client, {
        mutationKey: rosterKeys.mutations(),
        mutationFn: () => stored,
      })
      .execute(undefined)

    invalidate(client, [key])
    expect(stale(client)).toBe(false)

    finish()
    await write
    invalidate(client, [key])
    expect(stale(client)).toBe(true)
  })

  it('refreshes at once when no write is in flight, and only the keys given', () => {
    const client = new QueryClient()
    client.setQueryData(key, [])
    client.setQueryData(rosterKeys.all('guest-2'), [])
    invalidate(client, [key])
    expect(stale(client)).toBe(true)
    expect(client.getQueryState(rosterKeys.all('guest-2'))?.isInvalidated).toBe(
      false,
    )
  })
})
