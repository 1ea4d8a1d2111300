/**
 * A small seeded generator for lab schedules: the same seed always gives
 * the same sequence, on every platform (32-bit integer arithmetic only).
 */
export interface Random {
  /** A float in [0, 1). */
  next(): number
  /** An integer in [0, below). */
  int(below: number): number
  /** True with probability `p`. */
  chance(p: number): boolean
  pick<T>(items: readonly T[]): T
}

export function createRandom(seed: number): Random {
  // A Weyl sequence stirred by two multiply-xorshift rounds.
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x9e3779b9) >>> 0
    let z = state
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    z ^= z >>> 16
    return (z >>> 0) / 2 ** 32
  }
  const int = (below: number) => Math.floor(next() * below)
  return {
    next,
    int,
    chance: (p) => next() < p,
    pick: (items) => {
      if (items.length === 0) throw new RangeError('pick from an empty list')
      return items[int(items.length)]!
    },
  }
}

/**
 * Version-4-shaped UUIDs drawn from a seed, for runs on a fresh database
 * that should replay exactly (ids break ties in roster order). Ids must be
 * unique on a server, and the sequences of two seeds are shifts of one
 * another (32 bits of state), so use one seed per database; runs against a
 * shared server use random UUIDs.
 */
export function seededUuids(seed: number): () => string {
  const random = createRandom(seed ^ 0x51ab1e)
  return () => {
    const bytes = Array.from({ length: 16 }, () => random.int(256))
    bytes[6] = (bytes[6]! & 0x0f) | 0x40
    bytes[8] = (bytes[8]! & 0x3f) | 0x80
    const hex = bytes.map((b) => b.toString(16).padStart(2, '0')).join('')
    return [
      hex.slice(0, 8),
      hex.slice(8, 12),
      hex.slice(12, 16),
      hex.slice(16, 20),
      hex.slice(20),
    ].join('-')
  }
}
