import { describe, expect, it } from 'vitest'

import {
  idbDatabaseName,
  olderReplicas,
  replicaDataDir,
  replicaName,
} from '@/app/replica/names'
import { SCHEMA_VERSION } from '@/sync/protocol'

const SPACE = '6f1c1d2e-0b7a-4c4e-9a57-3c1f2d9e8b10'

describe('replica names', () => {
  it('names a replica by its space and the current schema epoch', () => {
    expect(replicaName(SPACE)).toBe(`rollcall-${SPACE}-e${SCHEMA_VERSION}`)
    expect(replicaDataDir(replicaName(SPACE, 3))).toBe(
      `idb://rollcall-${SPACE}-e3`,
    )
    expect(idbDatabaseName(replicaName(SPACE, 3))).toBe(
      `/pglite/rollcall-${SPACE}-e3`,
    )
  })

  it('finds the same space’s replicas of other epochs, oldest first', () => {
    const names = [
      `/pglite/rollcall-${SPACE}-e2`,
      `/pglite/rollcall-${SPACE}-e0`,
      `/pglite/rollcall-${SPACE}-e1`,
      'rollcall-cache',
    ]
    expect(olderReplicas(names, SPACE, 1)).toEqual([
      { name: `rollcall-${SPACE}-e0`, epoch: 0 },
      { name: `rollcall-${SPACE}-e2`, epoch: 2 },
    ])
  })

  it.each([
    [
      'another space',
      '/pglite/rollcall-11111111-2222-4333-8444-555555555555-e0',
    ],
    ['a space whose id starts like this one', `/pglite/rollcall-${SPACE}x-e0`],
    ['a name that is not an epoch', `/pglite/rollcall-${SPACE}-eold`],
    ['the current epoch', `/pglite/rollcall-${SPACE}-e1`],
    ['a database outside PGlite', `rollcall-${SPACE}-e0`],
  ])('leaves alone %s', (_, name) => {
    expect(olderReplicas([name], SPACE, 1)).toEqual([])
  })
})
