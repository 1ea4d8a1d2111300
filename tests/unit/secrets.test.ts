import {
  chmod,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {
  afterEach,
  beforeEach,
  describe,
  expect,
  it,
  vi,
  type MockInstance,
} from 'vitest'

import { resetEnvForTests } from '@/lib/env'
import { getSecrets, resetSecretsForTests } from '@/lib/secrets.server'

const KEYS = ['AUTH_SECRET', 'DATABASE_URL', 'DATA_DIR'] as const
const FIRST = 'first-secret-first-secret-first-secret-1'
const SECOND = 'second-secret-second-secret-second-secret'

let root: string
let dataDir: string
let saved: Record<string, string | undefined>
let info: MockInstance<typeof console.info>
let warn: MockInstance<typeof console.info>

function setEnv(values: Partial<Record<(typeof KEYS)[number], string>>) {
  for (const key of KEYS) delete process.env[key]
  Object.assign(process.env, values)
  resetEnvForTests()
  resetSecretsForTests()
}

function logged(spy: MockInstance<typeof console.info>): string {
  return spy.mock.calls.map((args) => args.join(' ')).join('\n')
}

beforeEach(async () => {
  saved = Object.fromEntries(KEYS.map((key) => [key, process.env[key]]))
  root = await mkdtemp(path.join(os.tmpdir(), 'rollcall-secrets-'))
  dataDir = path.join(root, 'nested', 'data')
  info = vi.spyOn(console, 'info').mockImplementation(() => {})
  warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
})

afterEach(async () => {
  info.mockRestore()
  warn.mockRestore()
  for (const key of KEYS) {
    if (saved[key] === undefined) delete process.env[key]
    else process.env[key] = saved[key]
  }
  resetEnvForTests()
  resetSecretsForTests()
  await rm(root, { recursive: true, force: true })
})

describe('getSecrets', () => {
  it('uses the AUTH_SECRET list, in order, and writes no file', async () => {
    setEnv({ AUTH_SECRET: `${FIRST}, ${SECOND}`, DATA_DIR: dataDir })

    await expect(getSecrets()).resolves.toEqual([FIRST, SECOND])
    await expect(stat(dataDir)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('uses AUTH_SECRET alongside DATABASE_URL', async () => {
    setEnv({
      AUTH_SECRET: FIRST,
      DATABASE_URL: 'postgres://db.invalid/rollcall',
      DATA_DIR: dataDir,
    })

    await expect(getSecrets()).resolves.toEqual([FIRST])
  })

  it('stops the boot when DATABASE_URL is set without AUTH_SECRET', async () => {
    setEnv({
      DATABASE_URL: 'postgres://db.invalid/rollcall',
      DATA_DIR: dataDir,
    })

    const failure = getSecrets()
    await expect(failure).rejects.toMatchObject({
      code: 'boot/missing-secret',
      message: expect.stringMatching(/AUTH_SECRET is required.*DATABASE_URL/),
    })
    await expect(stat(dataDir)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('does not remember a failure', async () => {
    setEnv({ DATABASE_URL: 'postgres://db.invalid/rollcall' })
    await expect(getSecrets()).rejects.toThrow()

    process.env.AUTH_SECRET = FIRST
    resetEnvForTests()

    await expect(getSecrets()).resolves.toEqual([FIRST])
  })

  it('creates a private secret file, folders included, and says where', async () => {
    setEnv({ DATA_DIR: dataDir })

    const [secret, ...rest] = await getSecrets()

    const file = path.join(dataDir, 'secret')
    expect(rest).toEqual([])
    expect(secret).toMatch(/^[\w-]{43,}$/)
    expect((await readFile(file, 'utf8')).trim()).toBe(secret)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect(await readdir(dataDir)).toEqual(['secret'])
    expect(logged(info)).toBe(
      `[boot] created a new signing secret in ${path.resolve(file)}`,
    )
    expect(logged(info)).not.toContain(secret)
  })

  it('reuses the file on the next start', async () => {
    setEnv({ DATA_DIR: dataDir })
    const [created] = await getSecrets()
    info.mockClear()

    resetSecretsForTests()
    const [reused] = await getSecrets()

    expect(reused).toBe(created)
    expect(info).not.toHaveBeenCalled()
  })

  it('creates one secret when asked twice at once', async () => {
    setEnv({ DATA_DIR: dataDir })

    const [first, second] = await Promise.all([getSecrets(), getSecrets()])

    expect(first).toEqual(second)
    expect(info).toHaveBeenCalledTimes(1)
  })

  it('refuses a secret file that is too short', async () => {
    setEnv({ DATA_DIR: dataDir })
    await mkdir(dataDir, { recursive: true })
    await writeFile(path.join(dataDir, 'secret'), 'short\n', { mode: 0o600 })

    await expect(getSecrets()).rejects.toMatchObject({
      code: 'boot/bad-secret-file',
    })
  })

  it.skipIf(process.platform === 'win32')(
    'warns when the secret file is readable by others',
    async () => {
      setEnv({ DATA_DIR: dataDir })
      const file = path.join(dataDir, 'secret')
      await mkdir(dataDir, { recursive: true })
      await writeFile(file, `${SECOND}\n`)
      await chmod(file, 0o644)

      await expect(getSecrets()).resolves.toEqual([SECOND])
      expect(logged(warn)).toContain('chmod 600')
      expect(logged(warn)).not.toContain(SECOND)
    },
  )
})
