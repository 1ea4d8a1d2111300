import { createHmac } from 'node:crypto'

import {
  generateKeyPair,
  SignJWT,
  base64url,
  decodeProtectedHeader,
} from 'jose'
import { afterEach, describe, expect, it, vi } from 'vitest'

import {
  CLOCK_SKEW_SECONDS,
  guestSigningKey,
  mintGuestToken,
  needsRenewal,
  verifyGuestToken,
} from '@/lib/guest-token'

const OLD = 'old-secret-old-secret-old-secret-old-secret'
const NEW = 'new-secret-new-secret-new-secret-new-secret'
const STRANGER = 'someone-elses-secret-someone-elses-secret'
const SECRETS = [NEW, OLD]

const NOW = 1_750_000_000
const TTL = 180 * 24 * 60 * 60
const GUEST = '3f2a9c1e-4b5d-4e6f-8a7b-9c0d1e2f3a4b'

async function mint(options: { now?: number; secret?: string } = {}) {
  const { token } = await mintGuestToken([options.secret ?? NEW], {
    guestId: GUEST,
    now: options.now ?? NOW,
    ttlSeconds: TTL,
  })
  return token
}

/**
 * Signs any header and payload with a secret's real guest key, byte for
 * byte, so the verifier has only the claims and header to object to.
 */
function forge(
  payload: Record<string, unknown>,
  header: Record<string, unknown> = {},
  secret = NEW,
) {
  const { kid, key } = guestSigningKey(secret)
  const input = `${encodeJson({ alg: 'HS256', kid, ...header })}.${encodeJson(payload)}`
  const mac = createHmac('sha256', key).update(input).digest('base64url')
  return Promise.resolve(`${input}.${mac}`)
}

const claims = { sub: GUEST, typ: 'guest', iat: NOW, exp: NOW + TTL }

function parts(token: string) {
  const [header = '', payload = '', signature = ''] = token.split('.')
  return { header, payload, signature }
}

function encodeJson(value: unknown) {
  return base64url.encode(JSON.stringify(value))
}

describe('mintGuestToken', () => {
  it('signs a small HS256 token with a kid and the guest claims', async () => {
    const { token, claims: minted } = await mintGuestToken(SECRETS, {
      now: NOW,
      ttlSeconds: TTL,
    })

    expect(token.length).toBeLessThan(260)
    const header = decodeProtectedHeader(token)
    expect(header).toEqual({ alg: 'HS256', kid: guestSigningKey(NEW).kid })
    const payload = JSON.parse(
      new TextDecoder().decode(base64url.decode(parts(token).payload)),
    )
    expect(payload).toEqual({
      sub: minted.guestId,
      typ: 'guest',
      iat: NOW,
      exp: NOW + TTL,
    })
  })

  it('creates a different random guest each time', async () => {
    const first = await mintGuestToken(SECRETS, { ttlSeconds: TTL })
    const second = await mintGuestToken(SECRETS, { ttlSeconds: TTL })
    expect(first.claims.guestId).toMatch(/^[0-9a-f-]{36}$/)
    expect(first.claims.guestId).not.toBe(second.claims.guestId)
  })

  it('derives a kid that does not contain the secret', () => {
    const { kid } = guestSigningKey(NEW)
    expect(kid).toMatch(/^[\w-]{8}$/)
    expect(NEW).not.toContain(kid)
    expect(guestSigningKey(OLD).kid).not.toBe(kid)
  })

  it.each([
    ['no secret', [], { ttlSeconds: TTL }, 'guest/no-secret'],
    ['a zero ttl', SECRETS, { ttlSeconds: 0 }, 'guest/bad-ttl'],
    ['a fractional ttl', SECRETS, { ttlSeconds: 1.5 }, 'guest/bad-ttl'],
    [
      'a guest id that is not a UUID',
      SECRETS,
      { ttlSeconds: TTL, guestId: 'admin' },
      'guest/bad-id',
    ],
  ])('refuses %s', async (_, secrets, options, code) => {
    await expect(mintGuestToken(secrets, options)).rejects.toMatchObject({
      code,
    })
  })
})

describe('verifyGuestToken', () => {
  it.each([
    ['a fresh token', () => mint(), NOW],
    ['a token near the end of its life', () => mint(), NOW + TTL - 1],
    [
      'a token issued within the clock skew',
      () => mint({ now: NOW + CLOCK_SKEW_SECONDS - 1 }),
      NOW,
    ],
    [
      'a token signed by a secret later in the list',
      () => mint({ secret: OLD }),
      NOW,
    ],
  ])('accepts %s', async (_, make, now) => {
    const token = await make()
    await expect(verifyGuestToken(SECRETS, token, { now })).resolves.toEqual({
      guestId: GUEST,
      issuedAt: expect.any(Number),
      expiresAt: expect.any(Number),
    })
  })

  it('returns the issue and expiry times', async () => {
    const token = await mint()
    await expect(
      verifyGuestToken(SECRETS, token, { now: NOW }),
    ).resolves.toEqual({ guestId: GUEST, issuedAt: NOW, expiresAt: NOW + TTL })
  })

  const rejected: [string, () => Promise<unknown>][] = [
    [
      'an expired token',
      () => mint({ now: NOW - TTL - CLOCK_SKEW_SECONDS - 1 }),
    ],
    ['a token issued in the future', () => mint({ now: NOW + 3600 })],
    ['a token with a future nbf', () => forge({ ...claims, nbf: NOW + 3600 })],
    [
      'a tampered payload',
      async () => {
        const { header, signature } = parts(await mint())
        const payload = encodeJson({ ...claims, sub: crypto.randomUUID() })
        return `${header}.${payload}.${signature}`
      },
    ],
    [
      'a payload with a longer lifetime',
      async () => {
        const { header, signature } = parts(await mint())
        const payload = encodeJson({ ...claims, exp: NOW + 10 * TTL })
        return `${header}.${payload}.${signature}`
      },
    ],
    [
      'a tampered signature',
      async () => {
        const { header, payload, signature } = parts(await mint())
        const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1)
        return `${header}.${payload}.${flipped}`
      },
    ],
    ['a missing signature', async () => (await mint()).replace(/[\w-]+$/, '')],
    [
      'alg none',
      async () => {
        const { payload } = parts(await mint())
        const header = encodeJson({
          alg: 'none',
          kid: guestSigningKey(NEW).kid,
        })
        return `${header}.${payload}.`
      },
    ],
    [
      'alg none with a leftover signature',
      async () => {
        const { payload, signature } = parts(await mint())
        const header = encodeJson({
          alg: 'none',
          kid: guestSigningKey(NEW).kid,
        })
        return `${header}.${payload}.${signature}`
      },
    ],
    [
      'HS512 signed with the right key',
      async () => {
        const { kid, key } = guestSigningKey(NEW)
        return new SignJWT(claims)
          .setProtectedHeader({ alg: 'HS512', kid })
          .sign(key)
      },
    ],
    [
      'an HS256 signature relabelled HS512',
      async () => {
        const { payload, signature } = parts(await mint())
        const header = encodeJson({
          alg: 'HS512',
          kid: guestSigningKey(NEW).kid,
        })
        return `${header}.${payload}.${signature}`
      },
    ],
    [
      'RS256',
      async () => {
        const { privateKey } = await generateKeyPair('RS256')
        return new SignJWT(claims)
          .setProtectedHeader({ alg: 'RS256', kid: guestSigningKey(NEW).kid })
          .sign(privateKey)
      },
    ],
    ['an unknown kid', () => mint({ secret: STRANGER })],
    [
      "another secret's signature under a listed kid",
      () =>
        forge(claims, {}, STRANGER).then((token) => {
          const { payload, signature } = parts(token)
          const header = encodeJson({
            alg: 'HS256',
            kid: guestSigningKey(NEW).kid,
          })
          return `${header}.${payload}.${signature}`
        }),
    ],
    ['no kid', () => forge(claims, { kid: undefined })],
    ['a wrong typ', () => forge({ ...claims, typ: 'user' })],
    ['no typ', () => forge({ sub: GUEST, iat: NOW, exp: NOW + TTL })],
    ['no sub', () => forge({ typ: 'guest', iat: NOW, exp: NOW + TTL })],
    ['a sub that is not a UUID', () => forge({ ...claims, sub: 'admin' })],
    ['a numeric sub', () => forge({ ...claims, sub: 42 })],
    ['no iat', () => forge({ sub: GUEST, typ: 'guest', exp: NOW + TTL })],
    ['no exp', () => forge({ sub: GUEST, typ: 'guest', iat: NOW })],
    [
      'an exp before iat',
      () => forge({ ...claims, exp: NOW - 1, iat: NOW + 10 }),
    ],
    ['a fractional iat', () => forge({ ...claims, iat: NOW + 0.5 })],
    [
      'an unknown critical header',
      () => forge(claims, { crit: ['x-rollcall'], 'x-rollcall': true }),
    ],
    ['an empty string', async () => ''],
    ['garbage', async () => 'not a token'],
    ['three dots', async () => '...'],
    ['base64 garbage', async () => 'a.b.c'],
    [
      'a JSON header that is not an object',
      async () => `${encodeJson(1)}.e30.AA`,
    ],
    ['an oversized token', async () => `${'a'.repeat(100_000)}.e30.AA`],
    [
      'a valid token with trailing junk',
      async () => `${await mint()}.${'A'.repeat(10)}`,
    ],
    ['undefined', async () => undefined],
    ['a number', async () => 42],
    ['an object', async () => ({ token: await mint() })],
  ]

  it.each(rejected)('returns null for %s', async (_, make) => {
    const token = await make()
    await expect(
      verifyGuestToken(SECRETS, token, { now: NOW }),
    ).resolves.toBeNull()
  })

  it('returns null when no secret is configured', async () => {
    await expect(verifyGuestToken([], await mint())).resolves.toBeNull()
  })
})

describe('secret rotation', () => {
  it.each([
    ['accepts an old token while its secret is listed', OLD, [NEW, OLD], true],
    ['refuses an old token once its secret is removed', OLD, [NEW], false],
    ['accepts a new token with the new secret alone', NEW, [NEW], true],
    ['refuses a new token with the old secret alone', NEW, [OLD], false],
  ])('%s', async (_, signer, secrets, valid) => {
    const token = await mint({ secret: signer })
    const result = await verifyGuestToken(secrets, token, { now: NOW })
    expect(result !== null).toBe(valid)
  })

  it('signs new tokens with the first secret of the list', async () => {
    const { token } = await mintGuestToken([NEW, OLD], { ttlSeconds: TTL })
    expect(decodeProtectedHeader(token).kid).toBe(guestSigningKey(NEW).kid)
    await expect(verifyGuestToken([NEW], token)).resolves.not.toBeNull()
    await expect(verifyGuestToken([OLD], token)).resolves.toBeNull()
  })
})

describe('renewal window', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  const nowSeconds = () => Math.floor(Date.now() / 1000)

  it.each([
    [0, false],
    [0.25, false],
    [0.49, false],
    [0.51, true],
    [0.99, true],
  ])(
    'after %s of its lifetime, needsRenewal is %s',
    async (fraction, expected) => {
      vi.useFakeTimers()
      vi.setSystemTime(new Date('2026-01-01T00:00:00Z'))
      const { token } = await mintGuestToken(SECRETS, { ttlSeconds: TTL })

      vi.advanceTimersByTime(Math.round(fraction * TTL) * 1000)
      const verified = await verifyGuestToken(SECRETS, token)

      expect(verified).not.toBeNull()
      expect(needsRenewal(verified!, nowSeconds(), TTL)).toBe(expected)
    },
  )

  it('no longer verifies once its lifetime is over', async () => {
    vi.useFakeTimers()
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'))
    const { token } = await mintGuestToken(SECRETS, { ttlSeconds: TTL })

    vi.advanceTimersByTime((TTL + CLOCK_SKEW_SECONDS) * 1000)

    await expect(verifyGuestToken(SECRETS, token)).resolves.toBeNull()
  })

  it('renews for the same guest with a full lifetime', async () => {
    const old = await mintGuestToken(SECRETS, { now: NOW, ttlSeconds: TTL })
    const later = NOW + TTL * 0.75
    const renewed = await mintGuestToken(SECRETS, {
      guestId: old.claims.guestId,
      now: later,
      ttlSeconds: TTL,
    })
    expect(renewed.claims).toEqual({
      guestId: old.claims.guestId,
      issuedAt: later,
      expiresAt: later + TTL,
    })
    expect(needsRenewal(renewed.claims, later, TTL)).toBe(false)
  })
})
