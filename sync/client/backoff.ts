export interface BackoffOptions {
  /** The delay cap of the first retry, in ms. */
  baseMs: number
  /** No retry waits longer than this, in ms. */
  maxMs: number
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1_000, maxMs: 60_000 }

/**
 * How long to wait before retry number `failures` (1 for the first retry).
 * The cap doubles with each failure up to `maxMs`; the delay is drawn from
 * the upper half of the cap, so it keeps growing while clients that failed
 * together spread out instead of retrying in step.
 */
export function backoffDelay(
  failures: number,
  options: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30)
  const cap = Math.min(options.maxMs, options.baseMs * 2 ** exponent)
  return Math.round(cap / 2 + random() * (cap / 2))
}
