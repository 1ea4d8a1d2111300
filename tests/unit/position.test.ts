import { describe, expect, it } from 'vitest'

import { compareAvatars } from '@/sync/mutations'
import {
  isPosition,
  positionAfter,
  positionBetween,
  spacedPositions,
} from '@/sync/position'

/** A tiny deterministic generator, so a failure can be replayed. */
function random(seed: number) {
  return () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
    return seed / 2 ** 31
  }
}

describe('fractional positions', () => {
  it('gives the first key of an empty list', () => {
    expect(isPosition(positionBetween(null, null))).toBe(true)
  })

  it.each([
    [null, 'a'],
    ['a', null],
    ['a', 'b'],
    ['a', 'a1'],
    ['az', 'b'],
    ['1', '2'],
    ['zz', null],
    [null, '01'],
    ['a0001', 'a0002'],
  ])('puts a key strictly between %s and %s', (before, after) => {
    const key = positionBetween(before, after)
    expect(isPosition(key)).toBe(true)
    if (before !== null) expect(before < key).toBe(true)
    if (after !== null) expect(key < after).toBe(true)
  })

  it('refuses bounds that are out of order', () => {
    expect(() => positionBetween('b', 'a')).toThrow(RangeError)
    expect(() => positionBetween('b', 'b')).toThrow(RangeError)
  })

  it('keeps order through thousands of random inserts', () => {
    const next = random(42)
    const keys = [positionBetween(null, null)]
    for (let n = 0; n < 3000; n++) {
      const at = Math.floor(next() * (keys.length + 1))
      keys.splice(
        at,
        0,
        positionBetween(keys[at - 1] ?? null, keys[at] ?? null),
      )
    }
    expect([...keys].sort()).toEqual(keys)
    expect(new Set(keys).size).toBe(keys.length)
    expect(keys.every(isPosition)).toBe(true)
  })

  it('grows slowly when always appending', () => {
    let last: string | null = null
    for (let n = 0; n < 200; n++) last = positionAfter(last)
    expect(last!.length).toBeLessThanOrEqual(40)
  })
})

describe('roster order', () => {
  it('sorts by position and breaks ties by id', () => {
    const rows = [
      { id: 'b', position: 'k' },
      { id: 'a', position: 'k' },
      { id: 'c', position: 'a' },
    ]
    expect(rows.sort(compareAvatars).map((row) => row.id)).toEqual([
      'c',
      'a',
      'b',
    ])
  })
})

describe('respacing', () => {
  it.each([1, 2, 35, 200, 1000, 5000])(
    'gives %i short, increasing, valid keys',
    (count) => {
      const keys = spacedPositions(count)
      expect(keys).toHaveLength(count)
      expect([...keys].sort()).toEqual(keys)
      expect(new Set(keys).size).toBe(count)
      expect(keys.every(isPosition)).toBe(true)
      expect(Math.max(...keys.map((key) => key.length))).toBeLessThanOrEqual(4)
    },
  )

  it('leaves room between neighbours for later moves', () => {
    const [a, b] = spacedPositions(200)
    expect(isPosition(positionBetween(a!, b!))).toBe(true)
    expect(positionBetween(a!, b!).length).toBeLessThanOrEqual(2)
  })
})
