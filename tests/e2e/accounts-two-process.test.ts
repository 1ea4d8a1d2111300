import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { signUp } from '@/app/server/accounts.server'
import { openDatabase } from '@/db/connect.server'
import { PASSWORD, SESSION_COOKIE } from './support/accounts'
import { createPostgresDatabase, postgresUrl } from '../support/databases'
import { type RunningServer, startServer } from './support/server'

const SECRET = 'e2e-accounts-two-process-'.padEnd(48, 't')
const PER_ACCOUNT = 4
const EMAIL = 'shared@example.com'

/** One sign-in through Auth.js's own endpoint, as a browser form would. */
async function signInAt(
  server: RunningServer,
  email: string,
  password: string,
) {
  const csrf = await fetch(`${server.url}/api/auth/csrf`)
  const { csrfToken } = (await csrf.json()) as { csrfToken: string }
  const cookie = csrf.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .join('; ')
  const response = await fetch(`${server.url}/api/auth/callback/credentials`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      cookie,
      'content-type': 'application/x-www-form-urlencoded',
      origin: server.url,
    },
    body: new URLSearchParams({ email, password, csrfToken, callbackUrl: '/' }),
  })
  const location = new URL(response.headers.get('location') ?? '/', server.url)
  const session = response.headers
    .getSetCookie()
    .find((line) => line.startsWith(`${SESSION_COOKIE}=`))
  return {
    status: response.status,
    code: location.searchParams.get('code'),
    path: location.pathname,
    session: session?.split(';')[0],
  }
}

describe.skipIf(!postgresUrl)(
  'sign-in limits across two server processes on Postgres',
  () => {
    let one: RunningServer
    let two: RunningServer
    let drop: () => Promise<void>

    beforeAll(async () => {
      const created = await createPostgresDatabase()
      drop = created.drop
      // The account exists before the servers start (migrations first).
      const database = await openDatabase({ url: created.url, poolSize: 1 })
      await signUp(
        database.db,
        { name: 'Shared', email: EMAIL, password: PASSWORD },
        {
          address: 'setup',
          limits: { perAddress: 10, perAccount: 10, windowSeconds: 900 },
        },
      )
      await database.close()

      const env = {
        DATABASE_URL: created.url,
        AUTH_SECRET: SECRET,
        AUTH_MAX_ATTEMPTS_PER_ACCOUNT: String(PER_ACCOUNT),
      }
      ;[one, two] = await Promise.all([startServer(env), startServer(env)])
    })
    afterAll(async () => {
      await Promise.all([one?.stop(), two?.stop()])
      await drop?.()
    })

    it('a session from one process is a user on the other (shared secret)', async () => {
      const signedIn = await signInAt(one, EMAIL, PASSWORD)
      expect(signedIn).toMatchObject({ status: 302, path: '/', code: null })
      expect(signedIn.session).toBeDefined()

      const viewer = await fetch(`${two.url}/api/viewer`, {
        headers: { cookie: signedIn.session! },
      })
      await expect(viewer.json()).resolves.toMatchObject({
        kind: 'user',
        label: 'Shared',
      })
    })

    it('counts wrong passwords on both processes against one limit', async () => {
      const servers = [one, two]
      for (let attempt = 0; attempt < PER_ACCOUNT; attempt++) {
        const result = await signInAt(servers[attempt % 2]!, EMAIL, 'wrong')
        expect(result).toMatchObject({
          status: 302,
          path: '/sign-in',
          code: 'auth/wrong-credentials',
        })
        expect(result.session).toBeUndefined()
      }
      // Over the limit on either process, even with the right password.
      for (const server of servers) {
        const limited = await signInAt(server, EMAIL, PASSWORD)
        expect(limited).toMatchObject({ code: 'auth/rate-limited' })
        expect(limited.session).toBeUndefined()
      }
      expect(one.output() + two.output()).not.toMatch(/\[auth\].*error/i)
    })
  },
)
