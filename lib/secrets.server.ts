import 'server-only'

import { randomBytes, randomUUID } from 'node:crypto'
import {
  link,
  mkdir,
  readFile,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises'
import path from 'node:path'

import { getEnv } from './env'
import { AppError } from './errors'
import { createLogger } from './logger'

const log = createLogger('boot')

const MIN_SECRET_LENGTH = 32

// Next may load this module more than once per process (instrumentation,
// proxy, routes); one shared promise keeps them on the same secret and
// creates the file at most once.
const state = globalThis as { __rollcallSecrets?: Promise<readonly string[]> }

/**
 * The signing secrets, first one signing and all of them verifying:
 * `AUTH_SECRET` when configured; otherwise, for the embedded single-instance
 * setup, a secret kept in `${DATA_DIR}/secret` (created on first use). With
 * `DATABASE_URL` set, a missing `AUTH_SECRET` is an error
 * (`boot/missing-secret`): instances must share their secret.
 */
export function getSecrets(): Promise<readonly string[]> {
  const cached = state.__rollcallSecrets
  if (cached) return cached

  const loading = loadSecrets()
  state.__rollcallSecrets = loading
  // A failure is not cached: the next call tries again.
  loading.catch(() => {
    if (state.__rollcallSecrets === loading) state.__rollcallSecrets = undefined
  })
  return loading
}

/** Forgets the resolved secrets (tests that change the environment). */
export function resetSecretsForTests(): void {
  state.__rollcallSecrets = undefined
}

async function loadSecrets(): Promise<readonly string[]> {
  const env = getEnv()
  if (env.AUTH_SECRET) return Object.freeze([...env.AUTH_SECRET])
  if (env.DATABASE_URL) {
    throw new AppError(
      'boot/missing-secret',
      'AUTH_SECRET is required when DATABASE_URL is set: every instance ' +
        'must sign with the same secret. Set AUTH_SECRET to one or more ' +
        `comma-separated random strings of at least ${MIN_SECRET_LENGTH} ` +
        'characters.',
    )
  }
  const file = path.resolve(env.DATA_DIR, 'secret')
  return Object.freeze([await readOrCreate(file)])
}

async function readOrCreate(file: string): Promise<string> {
  const existing = await readSecretFile(file)
  if (existing !== undefined) return existing

  await mkdir(path.dirname(file), { recursive: true })
  const secret = randomBytes(32).toString('base64url')
  // Written whole under a temporary name, then linked into place: a reader
  // never sees a half-written file, and linking fails if another process
  // got there first, in which case its secret wins.
  const draft = `${file}.${randomUUID()}.tmp`
  await writeFile(draft, `${secret}\n`, { mode: 0o600, flag: 'wx' })
  try {
    await link(draft, file)
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw error
    const winner = await readSecretFile(file)
    if (winner === undefined) throw error
    return winner
  } finally {
    await unlink(draft).catch(() => {})
  }
  log.info(`created a new signing secret in ${file}`)
  return secret
}

async function readSecretFile(file: string): Promise<string | undefined> {
  let content: string
  try {
    content = await readFile(file, 'utf8')
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined
    throw error
  }
  const secret = content.trim()
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new AppError(
      'boot/bad-secret-file',
      `${file} holds no usable secret (expected at least ` +
        `${MIN_SECRET_LENGTH} characters). Delete it to create a new one ` +
        '(every guest cookie signed with the old one becomes a new guest), ' +
        'or set AUTH_SECRET.',
    )
  }
  await warnIfShared(file)
  return secret
}

async function warnIfShared(file: string): Promise<void> {
  if (process.platform === 'win32') return
  const { mode } = await stat(file)
  if ((mode & 0o077) !== 0) {
    log.warn(`${file} is readable by other users; run chmod 600 on it`)
  }
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code
}
