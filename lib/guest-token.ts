import { hkdfSync, randomUUID } from 'node:crypto'

import { base64url, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose'

import { AppError } from './errors'

/** What a valid guest token says. Times are whole seconds since the epoch. */
export type GuestClaims = {
  guestId: string
  issuedAt: number
  expiresAt: number
}

export type MintedGuestToken = { token: string; claims: GuestClaims }

/**
 * Clocks of several instances drift; a token issued up to this many seconds
 * "in the future", or expired by less, is still accepted.
 */
export const CLOCK_SKEW_SECONDS = 60

// A genuine token is about 200 characters; anything far larger is not ours,
// and refusing it early keeps hostile input away from the parser.
const MAX_TOKEN_LENGTH = 1024

const ALGORITHM = 'HS256'
const TOKEN_TYPE = 'guest'
const COMPACT_JWS = /^[\w-]+\.[\w-]+\.[\w-]+$/
const UUID =
  /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

export type GuestSigningKey = { kid: string; key: Uint8Array }

// The configured secrets are shared with Auth.js, so the guest token signs
// with a key derived for this purpose alone, never with the raw secret.
function derive(secret: string, purpose: string, length: number): Uint8Array {
  return new Uint8Array(
    hkdfSync('sha256', secret, '', `rollcall/guest-token/${purpose}`, length),
  )
}

/**
 * The key a secret signs guest tokens with, and its public id (`kid`). The
 * id is a separate derivation, 48 bits long: enough to pick among a handful
 * of secrets while revealing nothing about them. Exported for tests that
 * forge tokens; application code mints and verifies through this module.
 */
export function guestSigningKey(secret: string): GuestSigningKey {
  return {
    kid: base64url.encode(derive(secret, 'kid', 6)),
    key: derive(secret, 'hs256', 32),
  }
}

function currentSeconds(): number {
  return Math.floor(Date.now() / 1000)
}

/** Whether a string has the shape of a guest id (a random UUID). */
export function isGuestId(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value)
}

/**
 * Signs a guest token with the first secret. Without `guestId`, a new guest
 * is created; with one (a renewal), the same guest keeps its identity.
 * Throws only on programming errors: no secret, a bad ttl or guest id.
 */
export async function mintGuestToken(
  secrets: readonly string[],
  options: { guestId?: string; now?: number; ttlSeconds: number },
): Promise<MintedGuestToken> {
  const [secret] = secrets
  if (!secret) {
    throw new AppError('guest/no-secret', 'expected at least one secret')
  }
  const { ttlSeconds, now = currentSeconds() } = options
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
    throw new AppError(
      'guest/bad-ttl',
      `expected a positive whole number of seconds, received ${ttlSeconds}`,
    )
  }
  const guestId = options.guestId ?? randomUUID()
  if (!isGuestId(guestId)) {
    throw new AppError('guest/bad-id', 'expected the guest id to be a UUID')
  }

  const { kid, key } = guestSigningKey(secret)
  const claims = { guestId, issuedAt: now, expiresAt: now + ttlSeconds }
  const token = await new SignJWT({
    sub: guestId,
    typ: TOKEN_TYPE,
    iat: claims.issuedAt,
    exp: claims.expiresAt,
  })
    .setProtectedHeader({ alg: ALGORITHM, kid })
    .sign(key)
  return { token, claims }
}

function findKey(secrets: readonly string[], token: string) {
  let header
  try {
    header = decodeProtectedHeader(token)
  } catch {
    return undefined
  }
  if (header.alg !== ALGORITHM || typeof header.kid !== 'string') {
    return undefined
  }
  return secrets.map(guestSigningKey).find(({ kid }) => kid === header.kid)?.key
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0
}

function readClaims(
  payload: Record<string, unknown>,
  now: number,
): GuestClaims | null {
  const { sub, typ, iat, exp } = payload
  if (typ !== TOKEN_TYPE || !isGuestId(sub)) return null
  if (!isTime(iat) || !isTime(exp) || exp <= iat) return null
  if (iat > now + CLOCK_SKEW_SECONDS) return null
  return { guestId: sub, issuedAt: iat, expiresAt: exp }
}

/**
 * Checks a guest token against every secret (matched by `kid`) and returns
 * its claims, or null for anything that is not a valid, current guest token
 * signed by one of them. Never throws on bad input.
 */
export async function verifyGuestToken(
  secrets: readonly string[],
  token: unknown,
  options: { now?: number } = {},
): Promise<GuestClaims | null> {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return null
  if (!COMPACT_JWS.test(token)) return null

  const now = options.now ?? currentSeconds()
  try {
    const key = findKey(secrets, token)
    if (!key) return null
    const { payload } = await jwtVerify(token, key, {
      algorithms: [ALGORITHM],
      currentDate: new Date(now * 1000),
      clockTolerance: CLOCK_SKEW_SECONDS,
      requiredClaims: ['sub', 'iat', 'exp'],
    })
    return readClaims(payload, now)
  } catch {
    return null
  }
}

/**
 * Whether a valid token should be re-minted: true once less than half of
 * `ttlSeconds` remains, so an active guest never reaches expiry.
 */
export function needsRenewal(
  claims: GuestClaims,
  now: number,
  ttlSeconds: number,
): boolean {
  return claims.expiresAt - now < ttlSeconds / 2
}
