import { describe, expect, it } from 'vitest'

import {
  changesWaiting,
  refusalSentence,
  refusalTarget,
  relativeTime,
  secondsUntil,
} from '@/app/replica/sync-wording'

const NOW = Date.UTC(2026, 0, 1, 12)

describe('relativeTime', () => {
  it.each([
    [0, 'just now'],
    [9_999, 'just now'],
    [-5_000, 'just now'],
    [10_000, '10 seconds ago'],
    [59_999, '59 seconds ago'],
    [60_000, '1 minute ago'],
    [125_000, '2 minutes ago'],
    [3_600_000, '1 hour ago'],
    [5 * 3_600_000, '5 hours ago'],
    [86_400_000, '1 day ago'],
    [3 * 86_400_000, '3 days ago'],
  ])('says %i ms ago is "%s"', (elapsed, words) => {
    expect(relativeTime(NOW - elapsed, NOW)).toBe(words)
  })
})

describe('secondsUntil', () => {
  it('rounds up to whole seconds', () => {
    expect(secondsUntil(NOW + 1_200, NOW)).toBe(2)
    expect(secondsUntil(NOW + 1_000, NOW)).toBe(1)
  })

  it('never goes below zero', () => {
    expect(secondsUntil(NOW - 5_000, NOW)).toBe(0)
  })
})

describe('changesWaiting', () => {
  it('counts in the singular and the plural', () => {
    expect(changesWaiting(1)).toBe('1 change waiting')
    expect(changesWaiting(3)).toBe('3 changes waiting')
  })
})

describe('refusalSentence', () => {
  it('names the action, the avatar and a readable reason', () => {
    const refusal = {
      name: 'renameAvatar',
      code: 'avatar/deleted',
      message: 'avatar 0f1 has been deleted',
    }
    expect(refusalSentence(refusal, 'Ann')).toBe(
      "Your rename of 'Ann' was refused: avatar has been deleted",
    )
  })

  it("falls back to the server's message and a generic subject", () => {
    const refusal = { name: 'setEmoji', code: 'x/y', message: 'no reason' }
    expect(refusalSentence(refusal, undefined)).toBe(
      'Your emoji change for an avatar was refused: no reason',
    )
  })
})

describe('refusalTarget', () => {
  it('reads a string id from the arguments', () => {
    expect(refusalTarget({ id: 'a1', name: 'Ann' })).toBe('a1')
  })

  it.each([[null], ['a1'], [{ id: 3 }], [{}]])(
    'finds no target in %j',
    (args) => {
      expect(refusalTarget(args)).toBeUndefined()
    },
  )
})
