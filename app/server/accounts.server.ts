import 'server-only'

import { randomUUID } from 'node:crypto'

import { and, eq } from 'drizzle-orm'

import type { Database } from '@/db/connect.server'
import { linkedAccounts, spaces, users } from '@/db/schema'
import {
  signInInput,
  signUpInput,
  WRONG_CREDENTIALS,
} from '@/lib/account-input'
import { AppError } from '@/lib/errors'
import {
  hashPassword,
  type ScryptParams,
  verifyNothing,
  verifyPassword,
} from '@/lib/password.server'
import { zodToAppError } from '@/lib/zod-error'

import {
  countAttempt,
  forgiveAttempt,
  type LoginLimits,
} from './login-limit.server'

/** A user as the session knows it. */
export interface AccountUser {
  id: string
  name: string
  email: string | null
  spaceId: string
}

export interface AttemptContext {
  address: string
  limits: LoginLimits
  now?: Date
  /** Lower scrypt cost for tests; production uses the default. */
  scrypt?: ScryptParams
}

const selection = {
  id: users.id,
  name: users.name,
  email: users.email,
  spaceId: users.spaceId,
}

/**
 * Creates an account with its own empty space, in one transaction.
 * Refuses bad input (`auth/invalid-input`, 400, with `field`), a taken
 * email (`auth/email-taken`, 409) and too many attempts from the address
 * (`auth/rate-limited`, 429); nothing is written on a refusal.
 */
export async function signUp(
  db: Database,
  input: unknown,
  context: AttemptContext,
): Promise<AccountUser> {
  const parsed = signUpInput.safeParse(input)
  if (!parsed.success) throw zodToAppError(parsed.error, 'auth/invalid-input')
  const { name, email, password } = parsed.data

  const subject = { address: context.address }
  await countAttempt(db, subject, context.limits, context.now)
  const passwordHash = await hashPassword(password, context.scrypt)

  const user = await db.transaction(async (tx) => {
    const [created] = await tx
      .insert(users)
      .values({
        id: randomUUID(),
        email,
        name,
        passwordHash,
        spaceId: randomUUID(),
      })
      .onConflictDoNothing({ target: users.email })
      .returning(selection)
    if (!created) {
      throw new AppError(
        'auth/email-taken',
        'an account with this email already exists; sign in instead',
        { status: 409, field: 'email' },
      )
    }
    await tx.insert(spaces).values({ id: created.spaceId })
    return created
  })
  await forgiveAttempt(db, subject, context.limits, context.now)
  return user
}

/**
 * Checks an email and password. Answers the user, or refuses with
 * `auth/invalid-input` (400), `auth/rate-limited` (429) or, for an unknown
 * email and a wrong password alike, `auth/wrong-credentials` (401), after
 * the same amount of hashing.
 */
export async function checkCredentials(
  db: Database,
  input: unknown,
  context: AttemptContext,
): Promise<AccountUser> {
  const parsed = signInInput.safeParse(input)
  if (!parsed.success) throw zodToAppError(parsed.error, 'auth/invalid-input')
  const { email, password } = parsed.data

  const subject = { address: context.address, email }
  await countAttempt(db, subject, context.limits, context.now)

  const [found] = await db
    .select({ ...selection, passwordHash: users.passwordHash })
    .from(users)
    .where(eq(users.email, email))
  const matches = found?.passwordHash
    ? await verifyPassword(password, found.passwordHash)
    : await verifyNothing(password, context.scrypt)
  if (!found || !matches) {
    throw new AppError('auth/wrong-credentials', WRONG_CREDENTIALS, {
      status: 401,
    })
  }

  await forgiveAttempt(db, subject, context.limits, context.now)
  const { passwordHash: _hash, ...user } = found
  return user
}

export interface OAuthIdentity {
  provider: string
  providerAccountId: string
  email?: string | null
  name?: string | null
}

/**
 * The user an OAuth identity is linked to, created (with its space) on
 * first sign-in. An identity whose email already belongs to another
 * account is refused (`auth/email-taken`): linking it silently would hand
 * that account to whoever controls the provider account.
 */
export async function findOrCreateOAuthUser(
  db: Database,
  identity: OAuthIdentity,
): Promise<AccountUser> {
  const { provider, providerAccountId } = identity
  return db.transaction(async (tx) => {
    const [linked] = await tx
      .select(selection)
      .from(linkedAccounts)
      .innerJoin(users, eq(users.id, linkedAccounts.userId))
      .where(
        and(
          eq(linkedAccounts.provider, provider),
          eq(linkedAccounts.providerAccountId, providerAccountId),
        ),
      )
    if (linked) return linked

    const email = identity.email?.trim().toLowerCase() || null
    const name = identity.name?.trim().slice(0, 200) || email || provider
    const [created] = await tx
      .insert(users)
      .values({ id: randomUUID(), email, name, spaceId: randomUUID() })
      .onConflictDoNothing({ target: users.email })
      .returning(selection)
    if (!created) {
      throw new AppError(
        'auth/email-taken',
        'an account with this email already exists; sign in with its password',
        { status: 409 },
      )
    }
    await tx.insert(spaces).values({ id: created.spaceId })
    await tx
      .insert(linkedAccounts)
      .values({ provider, providerAccountId, userId: created.id })
    return created
  })
}
