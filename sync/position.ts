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

/** A key after `last`, or the first key of an empty list. */
export function positionAfter(last: string | null): string {
  return positionBetween(last, null)
}
