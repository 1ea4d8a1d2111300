import 'server-only'

import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto'

import { AppError } from './errors'

/** scrypt's cost parameters, as recorded in every stored hash. */
export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number
  /** Block size. */
  r: number
  /** Parallelism. */
  p: number
}

/**
 * The parameters new hashes use: N = 2^17, r = 8, p = 1 (about 128 MiB of
 * memory and a few hundred milliseconds per hash). See ADR 010.
 */
export const DEFAULT_SCRYPT_PARAMS: Readonly<ScryptParams> = Object.freeze({
  N: 2 ** 17,
  r: 8,
  p: 1,
})

const SALT_BYTES = 16
const KEY_BYTES = 32
const SCHEME = 'scrypt'

// Stored hashes are `scrypt$N=…,r=…,p=…$<salt>$<key>` (base64url), so
// stronger parameters can be adopted later without breaking old hashes.
const STORED = /^scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([\w-]+)\$([\w-]+)$/

// Hard upper bounds on what a stored hash may ask for: a damaged or
// hostile row must not make the server allocate gigabytes.
const MAX_N = 2 ** 20
const MAX_R = 32
const MAX_P = 16

/** The memory scrypt needs for `params` (128·N·r bytes), with headroom. */
export function scryptMemory({ N, r, p }: ScryptParams): number {
  return 128 * N * r * p + 32 * 1024 * 1024
}

function derive(
  password: string,
  salt: Buffer,
  params: ScryptParams,
  length: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      password.normalize('NFKC'),
      salt,
      length,
      { ...params, maxmem: scryptMemory(params) },
      (error, key) => (error ? reject(error) : resolve(key)),
    )
  })
}

/** Hashes a password with a fresh random salt; returns the stored form. */
export async function hashPassword(
  password: string,
  params: ScryptParams = DEFAULT_SCRYPT_PARAMS,
): Promise<string> {
  checkParams(params)
  const salt = randomBytes(SALT_BYTES)
  const key = await derive(password, salt, params, KEY_BYTES)
  const { N, r, p } = params
  return [
    SCHEME,
    `N=${N},r=${r},p=${p}`,
    salt.toString('base64url'),
    key.toString('base64url'),
  ].join('$')
}

export interface StoredHash {
  params: ScryptParams
  salt: Buffer
  key: Buffer
}

/**
 * Reads a stored hash. Throws `password/bad-hash` when the text is not one
 * this module wrote, or asks for parameters outside the safe bounds.
 */
export function parseStoredHash(stored: string): StoredHash {
  const match = STORED.exec(stored)
  if (!match) {
    throw badHash('expected scrypt$N=…,r=…,p=…$salt$key')
  }
  const [, n, r, p, salt, key] = match
  const params = { N: Number(n), r: Number(r), p: Number(p) }
  checkParams(params)
  const parsed = {
    params,
    salt: Buffer.from(salt!, 'base64url'),
    key: Buffer.from(key!, 'base64url'),
  }
  if (parsed.salt.length < SALT_BYTES) throw badHash('the salt is too short')
  if (parsed.key.length < 16) throw badHash('the key is too short')
  return parsed
}

/**
 * Whether `password` matches the stored hash, compared in constant time.
 * Throws `password/bad-hash` on a stored value it cannot read.
 */
export async function verifyPassword(
  password: string,
  stored: string,
): Promise<boolean> {
  const { params, salt, key } = parseStoredHash(stored)
  const candidate = await derive(password, salt, params, key.length)
  return timingSafeEqual(candidate, key)
}

const decoys = new Map<string, Promise<string>>()

/**
 * Spends the same work as checking a real password, for an email that has
 * no account: answering faster would tell who has one.
 */
export async function verifyNothing(
  password: string,
  params: ScryptParams = DEFAULT_SCRYPT_PARAMS,
): Promise<false> {
  const key = `${params.N},${params.r},${params.p}`
  let decoy = decoys.get(key)
  if (!decoy) {
    decoy = hashPassword('no account has this password', params)
    decoys.set(key, decoy)
  }
  await verifyPassword(password, await decoy)
  return false
}

function checkParams({ N, r, p }: ScryptParams): void {
  const powerOfTwo = Number.isSafeInteger(N) && N > 1 && (N & (N - 1)) === 0
  if (!powerOfTwo || N > MAX_N) {
    throw badHash(`N must be a power of two up to 2^20, received ${N}`)
  }
  if (!Number.isInteger(r) || r < 1 || r > MAX_R) {
    throw badHash(`r must be between 1 and ${MAX_R}, received ${r}`)
  }
  if (!Number.isInteger(p) || p < 1 || p > MAX_P) {
    throw badHash(`p must be between 1 and ${MAX_P}, received ${p}`)
  }
}

function badHash(message: string) {
  return new AppError(
    'password/bad-hash',
    `unreadable password hash: ${message}`,
  )
}
