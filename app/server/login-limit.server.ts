import 'server-only'

import { createHash } from 'node:crypto'

import { and, eq, gt, lt, sql } from 'drizzle-orm'

import type { Database } from '@/db/connect.server'
import { loginAttempts } from '@/db/schema'
import { AppError } from '@/lib/errors'

export interface LoginLimits {
  perAddress: number
  perAccount: number
  windowSeconds: number
}

export interface AttemptSubject {
  /** The client's address (see lib/client-address.ts). */
  address: string
  /** The normalized email tried, when there is one (sign-in). */
  email?: string
}

// Keys are hashed: the table says how often, never who or from where.
function keyFor(kind: 'address' | 'account', value: string): string {
  return `${kind}:${createHash('sha256').update(value).digest('base64url')}`
}

function keysOf(subject: AttemptSubject) {
  return {
    address: keyFor('address', subject.address),
    account:
      subject.email === undefined
        ? undefined
        : keyFor('account', subject.email),
  }
}

function windowStartOf(now: Date, windowSeconds: number): Date {
  const size = windowSeconds * 1000
  return new Date(Math.floor(now.getTime() / size) * size)
}

/**
 * Counts one attempt for the address (and the account, if given) in the
 * current window, atomically, and refuses it with `auth/rate-limited` (429)
 * when either is over its limit. Called before any password is checked, so
 * a limited attempt costs no hashing and tells nothing about the account.
 */
export async function countAttempt(
  db: Database,
  subject: AttemptSubject,
  limits: LoginLimits,
  now = new Date(),
): Promise<void> {
  const keys = keysOf(subject)
  const windowStart = windowStartOf(now, limits.windowSeconds)
  const rows = [
    { key: keys.address, windowStart, count: 1 },
    ...(keys.account ? [{ key: keys.account, windowStart, count: 1 }] : []),
  ]
  const counted = await db
    .insert(loginAttempts)
    .values(rows)
    .onConflictDoUpdate({
      target: [loginAttempts.key, loginAttempts.windowStart],
      set: { count: sql`${loginAttempts.count} + 1` },
    })
    .returning({ key: loginAttempts.key, count: loginAttempts.count })

  // Old windows are never read again.
  await db
    .delete(loginAttempts)
    .where(lt(loginAttempts.windowStart, windowStart))

  const over = counted.some(({ key, count }) =>
    key === keys.account
      ? count > limits.perAccount
      : count > limits.perAddress,
  )
  if (over) {
    const retryAfter = Math.ceil(
      (windowStart.getTime() + limits.windowSeconds * 1000 - now.getTime()) /
        1000,
    )
    throw new AppError(
      'auth/rate-limited',
      `too many sign-in attempts; try again in ${minutes(retryAfter)}`,
      { status: 429 },
    )
  }
}

/**
 * After a successful sign-in or sign-up: the attempt no longer counts
 * against the address, and the account's failures are forgotten.
 */
export async function forgiveAttempt(
  db: Database,
  subject: AttemptSubject,
  limits: LoginLimits,
  now = new Date(),
): Promise<void> {
  const keys = keysOf(subject)
  const windowStart = windowStartOf(now, limits.windowSeconds)
  await db
    .update(loginAttempts)
    .set({ count: sql`${loginAttempts.count} - 1` })
    .where(
      and(
        eq(loginAttempts.key, keys.address),
        eq(loginAttempts.windowStart, windowStart),
        gt(loginAttempts.count, 0),
      ),
    )
  if (keys.account) {
    await db.delete(loginAttempts).where(eq(loginAttempts.key, keys.account))
  }
}

function minutes(seconds: number): string {
  const whole = Math.max(1, Math.ceil(seconds / 60))
  return whole === 1 ? '1 minute' : `${whole} minutes`
}
