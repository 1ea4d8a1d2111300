import { createHash, randomBytes } from 'node:crypto'
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http'

/** A person's account on the mock GitHub, as `GET /api/v3/user` shows it. */
export interface GitHubUser {
  id: number
  login: string
  name: string | null
  /** The public email; null sends the app to `/user/emails` for it. */
  email: string | null
  avatar_url: string
}

/** One request the mock received, for tests to assert what the app asked. */
export interface MockCall {
  method: string
  path: string
  query: Record<string, string>
}

/**
 * A stand-in for a GitHub Enterprise Server on a loopback port, answering
 * only what Auth.js's GitHub provider asks: the authorization page (which
 * decides at once, as the test said), the code exchange, the profile and
 * the email list. It checks what GitHub would check (client id and
 * secret, one use per code, the same redirect URI, the PKCE verifier) and
 * records each mismatch in `problems` instead of hiding it.
 */
export interface MockGitHub {
  /** The base URL, for AUTH_GITHUB_ENTERPRISE_URL. */
  url: string
  clientId: string
  clientSecret: string
  calls: MockCall[]
  problems: string[]
  /** Every access token handed out, in order. */
  issuedTokens: string[]
  /** The next authorizations sign in as this person. */
  signInAs(user: GitHubUser): void
  /** The next authorizations are refused (`error=access_denied`). */
  refuse(): void
  close(): Promise<void>
}

interface Grant {
  user: GitHubUser
  clientId: string
  redirectUri: string
  challenge: string
}

export async function startMockGitHub(): Promise<MockGitHub> {
  const clientId = `mock-client-${randomBytes(4).toString('hex')}`
  const clientSecret = randomBytes(16).toString('hex')
  const calls: MockCall[] = []
  const problems: string[] = []
  const issuedTokens: string[] = []
  const grants = new Map<string, Grant>()
  const tokens = new Map<string, GitHubUser>()
  let person: GitHubUser | 'refuse' = 'refuse'

  const problem = (response: ServerResponse, what: string) => {
    problems.push(what)
    json(response, 400, { error: 'mock_refused', error_description: what })
  }

  const authorize = (query: Record<string, string>, res: ServerResponse) => {
    const back = URL.canParse(query.redirect_uri ?? '')
      ? new URL(query.redirect_uri!)
      : null
    if (!back) return problem(res, 'authorize without a redirect_uri')
    if (query.client_id !== clientId) {
      return problem(res, `authorize for client ${query.client_id}`)
    }
    if (query.response_type !== 'code') {
      return problem(res, `authorize with response_type ${query.response_type}`)
    }
    if (query.code_challenge_method !== 'S256' || !query.code_challenge) {
      return problem(res, 'authorize without an S256 PKCE challenge')
    }
    if (query.state) back.searchParams.set('state', query.state)
    if (person === 'refuse') {
      back.searchParams.set('error', 'access_denied')
      back.searchParams.set(
        'error_description',
        'The user has denied your application access.',
      )
    } else {
      const code = randomBytes(10).toString('hex')
      grants.set(code, {
        user: person,
        clientId,
        redirectUri: query.redirect_uri!,
        challenge: query.code_challenge,
      })
      back.searchParams.set('code', code)
    }
    res.writeHead(302, { location: back.href }).end()
  }

  const exchange = (
    req: IncomingMessage,
    body: string,
    res: ServerResponse,
  ) => {
    const form = new URLSearchParams(body)
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1]
    const [id, secret] = basic
      ? Buffer.from(basic, 'base64')
          .toString('utf8')
          .split(':')
          .map(decodeURIComponent)
      : []
    const client = id ?? form.get('client_id')
    const given = secret ?? form.get('client_secret')
    if (client !== clientId || given !== clientSecret) {
      return problem(res, 'token request with the wrong client credentials')
    }
    const code = form.get('code') ?? ''
    const grant = grants.get(code)
    grants.delete(code)
    if (form.get('grant_type') !== 'authorization_code' || !grant) {
      return problem(res, 'token request with an unknown or used code')
    }
    if (form.get('redirect_uri') !== grant.redirectUri) {
      return problem(res, 'token request with another redirect_uri')
    }
    const verifier = form.get('code_verifier') ?? ''
    const digest = createHash('sha256').update(verifier).digest('base64url')
    if (digest !== grant.challenge) {
      return problem(res, 'token request failing the PKCE check')
    }
    const token = `gho_mock${randomBytes(18).toString('hex')}`
    issuedTokens.push(token)
    tokens.set(token, grant.user)
    json(res, 200, {
      access_token: token,
      token_type: 'bearer',
      scope: 'read:user,user:email',
    })
  }

  const bearer = (req: IncomingMessage) => {
    const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1]
    return token ? tokens.get(token) : undefined
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://mock')
      const query = Object.fromEntries(url.searchParams)
      const method = req.method ?? 'GET'
      calls.push({ method, path: url.pathname, query })
      const route = `${method} ${url.pathname}`
      if (route === 'GET /login/oauth/authorize') return authorize(query, res)
      if (route === 'POST /login/oauth/access_token') {
        return exchange(req, Buffer.concat(chunks).toString('utf8'), res)
      }
      if (route === 'GET /api/v3/user' || route === 'GET /api/v3/user/emails') {
        const user = bearer(req)
        if (!user) return problem(res, `${route} without a valid token`)
        if (url.pathname.endsWith('/user')) return json(res, 200, user)
        const email = user.email ?? `${user.login}@users.noreply.mock`
        return json(res, 200, [{ email, primary: true, verified: true }])
      }
      problem(res, `unexpected ${route}`)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (typeof address !== 'object' || !address) throw new Error('no port')

  return {
    url: `http://127.0.0.1:${address.port}`,
    clientId,
    clientSecret,
    calls,
    problems,
    issuedTokens,
    signInAs(user) {
      person = user
    },
    refuse() {
      person = 'refuse'
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

function json(response: ServerResponse, status: number, body: unknown) {
  response
    .writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
    .end(JSON.stringify(body))
}
