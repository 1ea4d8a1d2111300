/**
 * What the sign-in page says when Auth.js sends someone back to it with
 * `?error=<type>` (and, for our own refusals, `&code=<code>`): after an
 * OAuth provider refused or failed, or a sign-in through Auth.js's own
 * endpoints was refused. The query is anyone's to write, so it only ever
 * picks one of these fixed messages; nothing of it is shown back.
 */
import { MAX_AVATARS_PER_SPACE } from '@/sync/mutations'

import { WRONG_CREDENTIALS } from './account-input'

/** The guest's roster could not move into the account (ADR 012). */
export const MERGE_FAILED =
  'Your guest roster could not be moved into your account, so you are not ' +
  'signed in. Nothing was changed: try again.'

/** An OAuth email that already belongs to another account (ADR 014). */
export const EMAIL_TAKEN_BY_ANOTHER_ACCOUNT =
  'An account with this email already exists, so it was not signed in ' +
  'with this provider. Sign in the way you did before (email and ' +
  'password, or the provider you used). Nothing was changed.'

export const SPACE_FULL =
  'Your account and this roster together hold more than ' +
  `${MAX_AVATARS_PER_SPACE} avatars, so you are not signed in. Nothing ` +
  'was moved: delete some avatars, then try again.'

export const PROVIDER_REFUSED =
  'The sign-in was cancelled or refused by the provider, so you are not ' +
  'signed in. Nothing was changed.'

export const SIGN_IN_FAILED =
  'Signing in did not work this time, so you are not signed in. Nothing ' +
  'was changed: try again.'

const BY_CODE: Record<string, string> = {
  'auth/email-taken': EMAIL_TAKEN_BY_ANOTHER_ACCOUNT,
  'auth/merge-failed': MERGE_FAILED,
  'space/full': SPACE_FULL,
  'auth/wrong-credentials': WRONG_CREDENTIALS,
  'auth/rate-limited':
    'Too many sign-in attempts. Wait a few minutes, then try again.',
  'auth/invalid-input': 'Enter your email and password to sign in.',
}

const BY_ERROR: Record<string, string> = {
  // The provider answered with an error (the person said no, or the
  // provider refused the app).
  OAuthCallbackError: PROVIDER_REFUSED,
  AccessDenied: PROVIDER_REFUSED,
  CredentialsSignin: WRONG_CREDENTIALS,
}

/**
 * The notice for the sign-in page's `error` and `code` query values, or
 * null when there is no error. Our codes are more precise than Auth.js's
 * error types; anything unknown (`Configuration` is a fault on our side,
 * already logged) gets a general message.
 */
export function signInNotice(
  error: string | undefined,
  code: string | undefined,
): string | null {
  if (!error) return null
  if (code && Object.hasOwn(BY_CODE, code)) return BY_CODE[code]!
  if (Object.hasOwn(BY_ERROR, error)) return BY_ERROR[error]!
  return SIGN_IN_FAILED
}
