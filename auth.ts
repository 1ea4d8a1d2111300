import NextAuth, {
  AuthError,
  CredentialsSignin,
  type NextAuthConfig,
} from 'next-auth'
import { cookies } from 'next/headers'
import type { Provider } from 'next-auth/providers'
import Credentials from 'next-auth/providers/credentials'
import GitHub from 'next-auth/providers/github'
import Google from 'next-auth/providers/google'

import {
  type AccountUser,
  checkCredentials,
  findOrCreateOAuthUser,
} from '@/app/server/accounts.server'
import { getDatabase } from '@/app/server/database.server'
import type { LoginLimits } from '@/app/server/login-limit.server'
import { mergeGuestSpace } from '@/app/server/merge.server'
import { pokeSpace } from '@/app/server/pokes.server'
import { clientAddress } from '@/lib/client-address'
import { allowsSecureCookie, guestCookiePolicy } from '@/lib/cookie-policy'
import { type Env, getEnv } from '@/lib/env'
import { isAppError } from '@/lib/errors'
import { verifyGuestToken } from '@/lib/guest-token'
import { createLogger } from '@/lib/logger'
import { configuredOAuthProviders } from '@/lib/oauth-providers'
import { getSecrets } from '@/lib/secrets.server'
import { readSessionClaims, sessionClaims } from '@/lib/session-token'
import {
  EMAIL_TAKEN_BY_ANOTHER_ACCOUNT,
  MERGE_FAILED,
} from '@/lib/sign-in-notices'

const log = createLogger('auth')

/** Where Auth.js answers; the catch-all route lives under it. */
export const AUTH_BASE_PATH = '/api/auth'

/**
 * A refused sign-in. `code` is one of ours (`auth/wrong-credentials`,
 * `auth/rate-limited`, `auth/invalid-input`, and for any provider
 * `auth/merge-failed`, `space/full`, `auth/email-taken`); Auth.js puts it
 * in the error redirect (`/sign-in?error=CredentialsSignin&code=…`), so it
 * never says which of email or password was wrong. It extends Auth.js's
 * credentials error because that is the one refusal whose code Auth.js
 * passes on, whichever provider was used.
 */
export class SignInRefused extends CredentialsSignin {
  /** What to tell the person (Auth.js decorates `message`). */
  readonly detail: string

  constructor(code: string, detail: string) {
    super(detail)
    this.code = code
    this.detail = detail
  }
}

export function loginLimits(env: Env): LoginLimits {
  return {
    perAddress: env.AUTH_MAX_ATTEMPTS_PER_ADDRESS,
    perAccount: env.AUTH_MAX_ATTEMPTS_PER_ACCOUNT,
    windowSeconds: env.AUTH_ATTEMPT_WINDOW_SECONDS,
  }
}

/**
 * The sign-in methods: email + password always (it needs no network);
 * GitHub and Google only when both of their variables are set.
 */
export function authProviders(env: Env): Provider[] {
  const providers: Provider[] = [
    Credentials({
      id: 'credentials',
      name: 'Email and password',
      credentials: { email: {}, password: {} },
      authorize: (credentials, request) =>
        authorizePassword(env, credentials, request),
    }),
  ]
  for (const { id } of configuredOAuthProviders(env)) {
    if (id === 'github') {
      providers.push(
        GitHub({
          clientId: env.AUTH_GITHUB_ID,
          clientSecret: env.AUTH_GITHUB_SECRET,
          enterprise: env.AUTH_GITHUB_ENTERPRISE_URL
            ? { baseUrl: env.AUTH_GITHUB_ENTERPRISE_URL }
            : undefined,
        }),
      )
    } else {
      providers.push(
        Google({
          clientId: env.AUTH_GOOGLE_ID,
          clientSecret: env.AUTH_GOOGLE_SECRET,
        }),
      )
    }
  }
  return providers
}

async function authorizePassword(
  env: Env,
  credentials: Partial<Record<string, unknown>>,
  request: Request,
): Promise<AccountUser> {
  const address = clientAddress(request.headers, env.TRUSTED_PROXY_HOPS)
  try {
    return await checkCredentials(
      await getDatabase(),
      { email: credentials.email, password: credentials.password },
      { address, limits: loginLimits(env) },
    )
  } catch (error) {
    if (isAppError(error) && error.status < 500) {
      throw new SignInRefused(error.code, error.message)
    }
    throw error
  }
}

export { MERGE_FAILED }

/**
 * The user an OAuth sign-in names, found by its linked identity or created
 * with it. An email that already belongs to an account is refused, never
 * linked (ADR 014); the refusal goes back to the sign-in page as
 * `auth/email-taken`, with nothing created and the guest untouched.
 */
async function oauthUser(
  provider: string,
  providerAccountId: string,
  user: { email?: string | null; name?: string | null },
): Promise<AccountUser> {
  try {
    return await findOrCreateOAuthUser(await getDatabase(), {
      provider,
      providerAccountId,
      email: user.email,
      name: user.name,
    })
  } catch (error) {
    if (isAppError(error) && error.code === 'auth/email-taken') {
      log.info(`${provider} sign-in refused: its email belongs to an account`)
      throw new SignInRefused(error.code, EMAIL_TAKEN_BY_ANOTHER_ACCOUNT)
    }
    throw error
  }
}

/** The request's guest cookie: its jar, its policy and what it says. */
async function readGuestCookie() {
  const env = getEnv()
  const policy = guestCookiePolicy(env.APP_URL, env.GUEST_TOKEN_TTL_SECONDS)
  const jar = await cookies()
  const token = jar.get(policy.name)?.value
  const claims = await verifyGuestToken(await getSecrets(), token)
  return { jar, policy, claims }
}

/** The guest the request's cookie names, or null without a valid one. */
export async function currentGuestId(): Promise<string | null> {
  const { claims } = await readGuestCookie()
  return claims?.guestId ?? null
}

/**
 * Merges the signing-in guest's space into the user's (ADR 012). Runs in
 * the `jwt` callback, where a throw aborts the sign-in: no session cookie
 * is set unless the roster moved (or had moved before). The guest cookie
 * is read through `cookies()` because the lazy-init request is undefined
 * in server actions, and cleared afterwards: the proxy mints a fresh guest
 * on the next request, and the old one now names an empty, dead space.
 */
export async function mergeGuestOnSignIn(user: AccountUser): Promise<void> {
  const { jar, policy, claims } = await readGuestCookie()
  if (!claims) return

  let result
  try {
    result = await mergeGuestSpace(await getDatabase(), {
      guestSpaceId: claims.guestId,
      user,
    })
  } catch (error) {
    if (isAppError(error) && error.code === 'space/full') {
      throw new SignInRefused(error.code, error.message)
    }
    log.error(`merge of guest ${claims.guestId} into ${user.id} failed`, error)
    throw new SignInRefused('auth/merge-failed', MERGE_FAILED)
  }

  if (result.kind === 'merged') {
    log.info(
      `merged guest ${claims.guestId} into user ${user.id}: ${result.moved} avatars`,
    )
    await Promise.all([pokeSpace(user.spaceId), pokeSpace(claims.guestId)])
  }
  jar.set({ ...policy, value: '', maxAge: 0 })
}

/**
 * Auth.js's configuration for one request. Sessions are JWTs (set
 * explicitly: adding an adapter later must not silently switch to database
 * sessions), encrypted with keys Auth.js derives from the same secrets as
 * the guest token, the first encrypting and all decrypting. See ADR 010.
 */
export function authConfig(
  env: Env,
  secrets: readonly string[],
): NextAuthConfig {
  const appUrl = new URL(env.APP_URL)
  return {
    basePath: AUTH_BASE_PATH,
    secret: [...secrets],
    // The host is trusted because the route rewrites every request to the
    // configured APP_URL before Auth.js sees it (app/api/auth/...).
    trustHost: true,
    useSecureCookies: allowsSecureCookie(env.APP_URL),
    session: { strategy: 'jwt' },
    providers: authProviders(env),
    pages: { signIn: '/sign-in', error: '/sign-in' },
    callbacks: {
      async jwt({ token, user, account }) {
        if (!user) return readSessionClaims(token)
        let signedIn = user as AccountUser
        if (account && (account.type === 'oauth' || account.type === 'oidc')) {
          // Nothing of `account` (the provider's tokens) goes further than
          // this: the session holds our own claims only (ADR 010).
          signedIn = await oauthUser(
            account.provider,
            account.providerAccountId,
            user,
          )
        }
        await mergeGuestOnSignIn(signedIn)
        return sessionClaims(signedIn)
      },
      session({ session, token }) {
        const claims = readSessionClaims(token)
        return {
          expires: session.expires,
          user: { name: claims?.name ?? null, email: claims?.email ?? null },
        } as typeof session
      },
      redirect({ url }) {
        const target = new URL(url, appUrl)
        return target.origin === appUrl.origin ? target.href : appUrl.href
      },
    },
    logger: {
      error(error) {
        // A refused sign-in is an answer, not a fault.
        if (error instanceof CredentialsSignin) {
          log.debug(`sign-in refused: ${error.code}`)
          return
        }
        // The provider said no (most often the person cancelled): an
        // answer too. Only the provider's error code is logged.
        if (error instanceof AuthError && error.type === 'OAuthCallbackError') {
          log.info(`sign-in refused by the provider: ${providerError(error)}`)
          return
        }
        log.error('auth.js error', error)
      },
      warn(code) {
        log.warn(`auth.js warning: ${code}`)
      },
      // Auth.js's debug details include request bodies (passwords).
      debug() {},
    },
  }
}

/** The `error` an OAuth provider answered, as Auth.js recorded it. */
function providerError(error: AuthError): string {
  const cause = error.cause as Record<string, unknown> | undefined
  const provider =
    typeof cause?.providerId === 'string' ? cause.providerId : '?'
  const code = typeof cause?.error === 'string' ? cause.error : 'unknown'
  return `${provider} answered ${code.slice(0, 64)}`
}

export const { handlers, auth, signIn, signOut } = NextAuth(async () =>
  authConfig(getEnv(), await getSecrets()),
)
