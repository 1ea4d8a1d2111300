import type { Env } from './env'

/** An OAuth provider the sign-in pages offer, by Auth.js id. */
export interface OAuthChoice {
  id: 'github' | 'google'
  /** How the button names it. */
  name: string
}

/**
 * The OAuth providers switched on: those with both of their variables set.
 * Auth.js's configuration and the sign-in pages both ask this, so a button
 * is shown exactly when its provider exists.
 */
export function configuredOAuthProviders(env: Env): OAuthChoice[] {
  const choices: OAuthChoice[] = []
  if (env.AUTH_GITHUB_ID && env.AUTH_GITHUB_SECRET) {
    choices.push({ id: 'github', name: 'GitHub' })
  }
  if (env.AUTH_GOOGLE_ID && env.AUTH_GOOGLE_SECRET) {
    choices.push({ id: 'google', name: 'Google' })
  }
  return choices
}
