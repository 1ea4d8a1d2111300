import { describe, expect, it } from 'vitest'

import {
  isIdentityMessage,
  lostChangesMessage,
  replicaDatabasesToWipe,
  viewerCachesToWipe,
} from '@/app/account/sign-out-plan'
import { idbDatabaseName, replicaName } from '@/app/replica/names'
import { CACHE_NAMES } from '@/sw/routes'

const USER = '0b7c2f4e-1d2a-4c3b-9e8f-1a2b3c4d5e6f'
const OLD_GUEST = '5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d'
const NEW_GUEST = '9f8e7d6c-5b4a-4392-8a1b-0c9d8e7f6a5b'

describe('lostChangesMessage', () => {
  it('counts the changes that would be lost', () => {
    expect(lostChangesMessage(3)).toBe(
      '3 changes not yet synced will be lost on this device. Sign out anyway?',
    )
    expect(lostChangesMessage(1)).toBe(
      '1 change not yet synced will be lost on this device. Sign out anyway?',
    )
  })
})

describe('replicaDatabasesToWipe', () => {
  const db = (space: string, epoch: number) =>
    idbDatabaseName(replicaName(space, epoch))

  it('takes every replica of every space and epoch but the new viewer’s', () => {
    const names = [
      db(USER, 3),
      db(USER, 2),
      db(OLD_GUEST, 3),
      db(NEW_GUEST, 3),
      'rollcall-cache',
      'keyval-store',
      '/pglite/someone-else',
    ]
    expect(replicaDatabasesToWipe(names, NEW_GUEST)).toEqual([
      db(USER, 3),
      db(USER, 2),
      db(OLD_GUEST, 3),
    ])
  })

  it('takes them all when no space is kept', () => {
    expect(replicaDatabasesToWipe([db(USER, 1)], null)).toEqual([db(USER, 1)])
  })

  it('leaves the query cache and the pending sign-out flag to their owners', () => {
    const names = ['rollcall-cache', 'rollcall-sign-out', db(USER, 1)]
    expect(replicaDatabasesToWipe(names, null)).toEqual([db(USER, 1)])
  })

  it('keeps nothing that only looks like the new viewer’s replica', () => {
    const lookalike = idbDatabaseName(`rollcall-${NEW_GUEST}-e3-copy`)
    expect(replicaDatabasesToWipe([lookalike], NEW_GUEST)).toEqual([lookalike])
  })
})

describe('viewerCachesToWipe', () => {
  it('takes per-viewer caches and keeps the shared ones', () => {
    const names = [
      CACHE_NAMES.pglite,
      CACHE_NAMES.static,
      'serwist-precache-v2-https://example.test/',
      'viewer-roster',
    ]
    expect(viewerCachesToWipe(names)).toEqual(['viewer-roster'])
  })
})

describe('isIdentityMessage', () => {
  it('accepts our message and nothing else', () => {
    expect(isIdentityMessage({ type: 'viewer-changed', spaceId: null })).toBe(
      true,
    )
    expect(isIdentityMessage({ type: 'viewer-changed', spaceId: USER })).toBe(
      true,
    )
    expect(isIdentityMessage({ type: 'viewer-changed', spaceId: 3 })).toBe(
      false,
    )
    expect(isIdentityMessage({ type: 'sign-out-pending' })).toBe(true)
    expect(isIdentityMessage({ type: 'signed-out' })).toBe(false)
    expect(isIdentityMessage('viewer-changed')).toBe(false)
    expect(isIdentityMessage(null)).toBe(false)
  })
})
