import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import { authConfig, MERGE_FAILED, SignInRefused } from '@/auth'
import { parseEnv, resetEnvForTests } from '@/lib/env'
import { AppError } from '@/lib/errors'
import { mintGuestToken } from '@/lib/guest-token'
import { resetSecretsForTests } from '@/lib/secrets.server'

const SECRET = 'merge-unit-secret-'.padEnd(48, 'm')
const COOKIE = '__Host-guest'
const USER = {
  id: '0b6c1f0e-7d4e-4c39-9a51-3f2e8d7c6b5a',
  name: 'Ann',
  email: 'ann@example.com',
  spaceId: '5d0c2b7e-1f3a-4e8d-b6c9-7a2f1e0d3c4b',
}

const jar = vi.hoisted(() => ({
  values: new Map<string, string>(),
  set: [] as { name: string; value: string; maxAge?: number }[],
}))
const merge = vi.hoisted(() => ({ run: vi.fn() }))
const pokes = vi.hoisted(() => ({ poke: vi.fn(async () => {}) }))

vi.mock('next/headers', () => ({
  cookies: async () => ({
    get: (name: string) =>
      jar.values.has(name) ? { name, value: jar.values.get(name) } : undefined,
    set: (cookie: { name: string; value: string; maxAge?: number }) => {
      jar.set.push(cookie)
    },
  }),
}))
vi.mock('@/app/server/merge.server', () => ({ mergeGuestSpace: merge.run }))
vi.mock('@/app/server/pokes.server', () => ({ pokeSpace: pokes.poke }))
vi.mock('@/app/server/database.server', () => ({
  getDatabase: async () => ({ fake: 'database' }),
}))

const env = parseEnv({ AUTH_SECRET: SECRET, APP_URL: 'http://localhost:3000' })

function signIn() {
  const jwt = authConfig(env, [SECRET]).callbacks!.jwt!
  return jwt({
    token: { name: USER.name, email: USER.email },
    user: USER,
    account: {
      provider: 'credentials',
      type: 'credentials',
      providerAccountId: USER.id,
    },
    trigger: 'signIn',
  } as Parameters<typeof jwt>[0])
}

async function refusal(): Promise<unknown> {
  try {
    await signIn()
  } catch (error) {
    return error
  }
  throw new Error('expected the sign-in to be refused')
}

async function withGuestCookie() {
  const { token, claims } = await mintGuestToken([SECRET], {
    ttlSeconds: 3600,
  })
  jar.values.set(COOKIE, token)
  return claims.guestId
}

beforeEach(() => {
  vi.stubEnv('AUTH_SECRET', SECRET)
  vi.stubEnv('APP_URL', 'http://localhost:3000')
  resetEnvForTests()
  resetSecretsForTests()
  jar.values.clear()
  jar.set = []
  merge.run.mockReset()
  pokes.poke.mockClear()
})

afterEach(() => {
  vi.unstubAllEnvs()
  resetEnvForTests()
  resetSecretsForTests()
})

describe('signing in with a guest cookie', () => {
  it("merges the guest's space into the user's, then clears the guest cookie", async () => {
    const guestId = await withGuestCookie()
    merge.run.mockResolvedValue({ kind: 'merged', moved: 2, version: 4 })

    const claims = await signIn()

    expect(merge.run).toHaveBeenCalledWith(
      { fake: 'database' },
      { guestSpaceId: guestId, user: USER },
    )
    expect(claims).toMatchObject({ sub: USER.id, spaceId: USER.spaceId })
    expect(jar.set).toEqual([
      expect.objectContaining({ name: COOKIE, value: '', maxAge: 0 }),
    ])
    expect(pokes.poke).toHaveBeenCalledWith(USER.spaceId)
  })

  it('signs in without a merge when there is no valid guest cookie', async () => {
    jar.values.set(COOKIE, 'not-a-token')

    const claims = await signIn()

    expect(merge.run).not.toHaveBeenCalled()
    expect(claims).toMatchObject({ sub: USER.id })
  })

  it('aborts the sign-in with auth/merge-failed when the merge throws', async () => {
    await withGuestCookie()
    merge.run.mockRejectedValue(new Error('connection lost'))
    const logged: string[] = []
    vi.mocked(console.error).mockImplementation((line: string) => {
      logged.push(line)
    })

    const error = await refusal()

    expect(error).toBeInstanceOf(SignInRefused)
    expect(error).toMatchObject({
      code: 'auth/merge-failed',
      detail: MERGE_FAILED,
    })
    expect(jar.set).toEqual([])
    expect(logged).toEqual([
      expect.stringMatching(/^\[auth\] merge of guest .* failed/),
    ])
  })

  it('aborts the sign-in with space/full and says why when the rosters do not fit', async () => {
    await withGuestCookie()
    merge.run.mockRejectedValue(
      new AppError('space/full', 'together they pass the limit of 200', {
        status: 409,
      }),
    )

    const error = await refusal()

    expect(error).toMatchObject({
      code: 'space/full',
      detail: 'together they pass the limit of 200',
    })
    expect(jar.set).toEqual([])
  })
})

describe('the sign-in form when the merge fails', () => {
  it.each([
    ['auth/merge-failed', MERGE_FAILED, MERGE_FAILED],
    [
      'space/full',
      'together they pass the limit of 200; nothing was moved',
      'Together they pass the limit of 200; nothing was moved.',
    ],
  ])('answers %s with its message on the form', async (code, detail, shown) => {
    const auth = await import('@/auth')
    const signIn = vi
      .spyOn(auth, 'signIn')
      .mockRejectedValue(new SignInRefused(code, detail))
    const { signInAction } = await import('@/app/account/actions')
    const form = new FormData()
    form.set('email', 'ann@example.com')
    form.set('password', 'correct horse battery')

    const state = await signInAction({ status: 'idle' }, form)

    expect(state).toEqual({
      status: 'refused',
      code,
      fieldErrors: {},
      formError: shown,
      values: { email: 'ann@example.com' },
    })
    signIn.mockRestore()
  })
})
