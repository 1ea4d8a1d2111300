import { eq } from 'drizzle-orm'
import { expect, it } from 'vitest'

import {
  checkCredentials,
  findOrCreateOAuthUser,
  signUp,
} from '@/app/server/accounts.server'
import type { Database } from '@/db/connect.server'
import { linkedAccounts, loginAttempts, spaces, users } from '@/db/schema'
import { WRONG_CREDENTIALS } from '@/lib/account-input'
import { parseStoredHash } from '@/lib/password.server'
import { describeEachEngine } from '../support/databases'

// Cheap scrypt keeps the suite quick; the parameters are unit-tested.
const scrypt = { N: 2 ** 10, r: 8, p: 1 }
const limits = { perAddress: 6, perAccount: 3, windowSeconds: 900 }
const NOW = new Date('2031-05-01T10:00:00Z')

let counter = 0
function unique(prefix: string) {
  counter += 1
  return `${prefix}-${counter}-${Math.random().toString(36).slice(2, 8)}`
}

function context(address = unique('address'), now = NOW) {
  return { address, limits, now, scrypt }
}

async function counts(db: Database) {
  return {
    users: (await db.select().from(users)).length,
    spaces: (await db.select().from(spaces)).length,
    attempts: (await db.select().from(loginAttempts)).length,
  }
}

describeEachEngine('accounts', (current) => {
  const db = () => current().database.db

  async function newAccount(password = 'correct horse battery') {
    const email = `${unique('ann')}@example.com`
    const user = await signUp(db(), { name: 'Ann', email, password }, context())
    return { user, email, password }
  }

  it('signs up a user with a hashed password and an empty space of its own', async () => {
    const email = `${unique('Ann')}@Example.COM`
    const user = await signUp(
      db(),
      {
        name: '  Ann Example ',
        email: `  ${email} `,
        password: 'correct horse battery',
      },
      context(),
    )

    expect(user).toMatchObject({
      name: 'Ann Example',
      email: email.toLowerCase(),
    })
    const [row] = await db().select().from(users).where(eq(users.id, user.id))
    expect(row!.spaceId).toBe(user.spaceId)
    expect(row!.passwordHash).not.toContain('correct horse')
    expect(parseStoredHash(row!.passwordHash!).params).toEqual(scrypt)
    const [space] = await db()
      .select()
      .from(spaces)
      .where(eq(spaces.id, user.spaceId))
    expect(space).toMatchObject({ id: user.spaceId, version: 0 })
  })

  it('refuses a second account for the same email, in any case, with auth/email-taken', async () => {
    const { email } = await newAccount()
    const before = await counts(db())

    await expect(
      signUp(
        db(),
        {
          name: 'Imposter',
          email: email.toUpperCase(),
          password: 'another password',
        },
        context(),
      ),
    ).rejects.toMatchObject({
      code: 'auth/email-taken',
      status: 409,
      field: 'email',
    })

    const after = await counts(db())
    expect(after.users).toBe(before.users)
    expect(after.spaces).toBe(before.spaces)
  })

  it.each([
    ['no name', { email: 'a@example.com', password: 'long enough pw' }, 'name'],
    [
      'a blank name',
      { name: '  ', email: 'a@example.com', password: 'long enough pw' },
      'name',
    ],
    [
      'a 201-character name',
      {
        name: 'n'.repeat(201),
        email: 'a@example.com',
        password: 'long enough pw',
      },
      'name',
    ],
    [
      'a bad email',
      { name: 'A', email: 'not-an-email', password: 'long enough pw' },
      'email',
    ],
    [
      'a short password',
      { name: 'A', email: 'a@example.com', password: 'short' },
      'password',
    ],
    [
      'a huge password',
      { name: 'A', email: 'a@example.com', password: 'p'.repeat(257) },
      'password',
    ],
    [
      'a number for a password',
      { name: 'A', email: 'a@example.com', password: 1234567890 },
      'password',
    ],
    [
      'an unknown field',
      {
        name: 'A',
        email: 'a@example.com',
        password: 'long enough pw',
        admin: true,
      },
      'admin',
    ],
  ])(
    'refuses a sign-up with %s (auth/invalid-input), writing nothing',
    async (_, input, field) => {
      const before = await counts(db())
      await expect(signUp(db(), input, context())).rejects.toMatchObject({
        code: 'auth/invalid-input',
        status: 400,
        field,
      })
      expect(await counts(db())).toEqual(before)
    },
  )

  it('signs in with the right password, whatever the email case', async () => {
    const { user, email, password } = await newAccount()
    await expect(
      checkCredentials(
        db(),
        { email: email.toUpperCase(), password },
        context(),
      ),
    ).resolves.toEqual(user)
  })

  it('gives one generic answer to a wrong password and to an unknown email', async () => {
    const { email } = await newAccount()
    // Settled together, so neither refusal goes unhandled while the other
    // is awaited.
    const attempts = await Promise.allSettled([
      checkCredentials(db(), { email, password: 'nope' }, context()),
      checkCredentials(
        db(),
        { email: `${unique('nobody')}@example.com`, password: 'nope' },
        context(),
      ),
    ])
    for (const attempt of attempts) {
      expect(attempt.status).toBe('rejected')
      expect((attempt as PromiseRejectedResult).reason).toMatchObject({
        code: 'auth/wrong-credentials',
        status: 401,
        message: WRONG_CREDENTIALS,
      })
    }
  })

  it('limits attempts per account across addresses, then forgives them on success', async () => {
    const { email, password } = await newAccount()
    for (let i = 0; i < limits.perAccount; i++) {
      await expect(
        checkCredentials(db(), { email, password: 'wrong' }, context()),
      ).rejects.toMatchObject({ code: 'auth/wrong-credentials' })
    }
    // Even the right password is refused now, from a fresh address.
    await expect(
      checkCredentials(db(), { email, password }, context()),
    ).rejects.toMatchObject({ code: 'auth/rate-limited', status: 429 })

    // In the next window it works, and a success clears the account's count.
    const later = new Date(NOW.getTime() + limits.windowSeconds * 1000)
    await checkCredentials(db(), { email, password }, context(undefined, later))
    for (let i = 0; i < limits.perAccount; i++) {
      await expect(
        checkCredentials(
          db(),
          { email, password: 'wrong' },
          context(undefined, later),
        ),
      ).rejects.toMatchObject({ code: 'auth/wrong-credentials' })
    }
  })

  it('limits attempts per address across accounts, sign-ups included', async () => {
    const address = unique('address')
    for (let i = 0; i < limits.perAddress; i++) {
      await expect(
        checkCredentials(
          db(),
          { email: `${unique('x')}@example.com`, password: 'wrong' },
          context(address),
        ),
      ).rejects.toMatchObject({ code: 'auth/wrong-credentials' })
    }
    await expect(
      checkCredentials(
        db(),
        { email: 'someone@example.com', password: 'x' },
        context(address),
      ),
    ).rejects.toMatchObject({ code: 'auth/rate-limited', status: 429 })
    const before = await counts(db())
    await expect(
      signUp(
        db(),
        {
          name: 'B',
          email: `${unique('b')}@example.com`,
          password: 'long enough pw',
        },
        context(address),
      ),
    ).rejects.toMatchObject({ code: 'auth/rate-limited' })
    expect((await counts(db())).users).toBe(before.users)

    // Another address is not affected.
    const { email, password } = await newAccount()
    await expect(
      checkCredentials(db(), { email, password }, context()),
    ).resolves.toBeTruthy()
  })

  it('tells the retry time in the rate-limit message', async () => {
    const address = unique('address')
    const almostEnd = new Date(NOW.getTime() + 14 * 60 * 1000 + 30_000)
    const attempt = () =>
      checkCredentials(
        db(),
        { email: 'z@example.com', password: 'x' },
        context(address, almostEnd),
      )
    for (let i = 0; i < limits.perAccount; i++) await attempt().catch(() => {})
    await expect(attempt()).rejects.toThrow(/try again in 1 minute$/)
  })

  it('creates an OAuth user once, with its space, and finds it again', async () => {
    const identity = {
      provider: 'github',
      providerAccountId: unique('gh'),
      email: `${unique('oauth')}@example.com`,
      name: 'Octo',
    }
    const first = await findOrCreateOAuthUser(db(), identity)
    const again = await findOrCreateOAuthUser(db(), {
      ...identity,
      name: 'Renamed',
    })
    expect(again).toEqual(first)
    const links = await db()
      .select()
      .from(linkedAccounts)
      .where(eq(linkedAccounts.userId, first.id))
    expect(links).toHaveLength(1)
    const [space] = await db()
      .select()
      .from(spaces)
      .where(eq(spaces.id, first.spaceId))
    expect(space).toBeDefined()
  })

  it('refuses an OAuth identity whose email belongs to a password account', async () => {
    const { email } = await newAccount()
    await expect(
      findOrCreateOAuthUser(db(), {
        provider: 'google',
        providerAccountId: unique('g'),
        email,
        name: 'Someone',
      }),
    ).rejects.toMatchObject({ code: 'auth/email-taken' })
  })
})
