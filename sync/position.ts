/**
 * Fractional positions: keys are base-36 digit strings read as fractions in
 * (0, 1), compared as plain strings. A key never ends in '0', so between any
 * two keys there is always another. Order ties (two clients picking the same
 * key offline) are broken by avatar id.
 */

const DIGITS = '0123456789abcdefghijklmnopqrstuvwxyz'
const BASE = DIGITS.length

export const POSITION_PATTERN = /^[0-9a-z]*[1-9a-z]$/

export function isPosition(value: string): boolean {
  return POSITION_PATTERN.test(value)
}

function digit(key: string, index: number): number {
  const char = key[index]
  return char === undefined ? 0 : DIGITS.indexOf(char)
}

/**
 * A key strictly between `before` and `after`. `null` stands for the start
 * (before) or the end (after) of the list.
 */
export function positionBetween(
  before: string | null,
  after: string | null,
): string {
  const low = before ?? ''
  if (after !== null && low >= after) {
    throw new RangeError(`no position between ${low} and ${after}`)
  }

  let key = ''
  for (let i = 0; ; i++) {
    const lowDigit = digit(low, i)
    // Past the end of `after`'s digits the upper bound is open (BASE).
    const highDigit =
      after === null || key !== after.slice(0, i) ? BASE : digit(after, i)
    if (highDigit - lowDigit > 1) {
      return key + DIGITS[Math.floor((lowDigit + highDigit) / 2)]
    }
    key += DIGITS[lowDigit]
  }
}

/**
 * A key after `last`, or the first key of an empty list. Appending bumps the
 * last digit that can grow, so keys lengthen by one digit only once every
 * digit is 'z' (about every 26 appends), not at each halving.
 */
export function positionAfter(last: string | null): string {
  if (last === null) return positionBetween(null, null)
  for (let i = last.length - 1; i >= 0; i--) {
    const value = DIGITS.indexOf(last[i]!)
    if (value < BASE - 1) return last.slice(0, i) + DIGITS[value + 1]
  }
  return positionBetween(last, null)
}

/**
 * `count` keys in increasing order, evenly spread over as few digits as
 * leave a gap of at least three between neighbours, none ending in '0'.
 */
export function spacedPositions(count: number): string[] {
  let width = 2
  while (BASE ** width / (count + 1) < 3) width++
  const step = Math.floor(BASE ** width / (count + 1))
  return Array.from({ length: count }, (_, index) => {
    let value = (index + 1) * step
    if (value % BASE === 0) value += 1
    return value.toString(BASE).padStart(width, '0')
  })
}
