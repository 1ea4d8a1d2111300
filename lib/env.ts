import { z } from 'zod'

const secretList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean),
  )
  .pipe(
    z
      .array(z.string().min(32, 'each secret needs at least 32 characters'))
      .min(1, 'give at least one secret'),
  )

const envSchema = z.object({
  NODE_ENV: z
    .enum(['development', 'production', 'test'])
    .default('development'),
  /** Postgres connection string; when absent, an embedded PGlite is used. */
  DATABASE_URL: z
    .string()
    .trim()
    .min(1)
    .refine((value) => /^postgres(ql)?:\/\//.test(value), {
      message: 'expected a postgres:// or postgresql:// URL',
    })
    .optional(),
  /** Comma-separated signing secrets; the first signs, all verify. */
  AUTH_SECRET: secretList.optional(),
  /** The public URL people reach the app at; decides the cookie's shape. */
  APP_URL: z.url({ protocol: /^https?$/ }).default('http://localhost:3000'),
  /** Where the embedded database and generated secret live. */
  DATA_DIR: z.string().trim().min(1).default('.data'),
  /** Lifetime of a guest token, in seconds (renewed past half of it). */
  GUEST_TOKEN_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .default(180 * 24 * 60 * 60),
  /** How long deleted avatars are remembered for sync; older cursors reset. */
  SYNC_TOMBSTONE_HORIZON_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .default(30 * 24 * 60 * 60),
  LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
  /**
   * Reverse proxies in front of the app that append to X-Forwarded-For; the
   * client's address is the entry this many places from the right.
   */
  TRUSTED_PROXY_HOPS: z.coerce.number().int().min(1).max(10).default(1),
  /** Sign-in and sign-up attempts allowed per client address per window. */
  AUTH_MAX_ATTEMPTS_PER_ADDRESS: z.coerce.number().int().min(1).default(20),
  /** Sign-in attempts allowed per account (email) per window. */
  AUTH_MAX_ATTEMPTS_PER_ACCOUNT: z.coerce.number().int().min(1).default(5),
  /** The rate limit's window, in seconds. */
  AUTH_ATTEMPT_WINDOW_SECONDS: z.coerce
    .number()
    .int()
    .min(10)
    .default(15 * 60),
  /** GitHub OAuth app; the provider is on when both are set. */
  AUTH_GITHUB_ID: z.string().trim().min(1).optional(),
  AUTH_GITHUB_SECRET: z.string().trim().min(1).optional(),
  /**
   * A GitHub Enterprise Server's base URL (https://github.example.com);
   * unset, the GitHub provider talks to github.com. Kept without a trailing
   * slash: the provider appends `/login/oauth/...` and `/api/v3/...`.
   */
  AUTH_GITHUB_ENTERPRISE_URL: z
    .url({ protocol: /^https?$/ })
    .refine(
      (value) => {
        // Runs after a failed URL check too: parse defensively.
        if (!URL.canParse(value)) return false
        const url = new URL(value)
        return url.search === '' && url.hash === '' && url.username === ''
      },
      { message: 'expected a base URL without query, fragment or user' },
    )
    .transform((value) => value.replace(/\/+$/, ''))
    .optional(),
  /** Google OAuth client; the provider is on when both are set. */
  AUTH_GOOGLE_ID: z.string().trim().min(1).optional(),
  AUTH_GOOGLE_SECRET: z.string().trim().min(1).optional(),
})

export type Env = z.infer<typeof envSchema>

/** Thrown at boot when the environment is unusable; lists every bad field. */
export class EnvError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid environment:\n  ${issues.join('\n  ')}`)
    this.name = 'EnvError'
  }
}

/** Parses an environment; empty strings count as unset. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const cleaned = Object.fromEntries(
    Object.entries(source).filter(([, value]) => value !== ''),
  )
  const result = envSchema.safeParse(cleaned)
  if (result.success) return result.data
  throw new EnvError(
    result.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    ),
  )
}

let cached: Env | undefined

/** The process environment, parsed once. The only reader of `process.env`. */
export function getEnv(): Env {
  cached ??= parseEnv(process.env)
  return cached
}

/** Forgets the parsed environment (tests that change `process.env`). */
export function resetEnvForTests(): void {
  cached = undefined
}
