'use server'

import { CredentialsSignin } from 'next-auth'
import { headers } from 'next/headers'
import { redirect } from 'next/navigation'

import { currentGuestId, loginLimits, SignInRefused, signIn } from '@/auth'
import { signUp } from '@/app/server/accounts.server'
import { getDatabase } from '@/app/server/database.server'
import { mergedInto } from '@/app/server/merge.server'
import { endSession, type SignedOut } from '@/app/server/end-session.server'
import {
  fieldErrors,
  signInInput,
  signUpInput,
  WRONG_CREDENTIALS,
} from '@/lib/account-input'
import { clientAddress } from '@/lib/client-address'
import { getEnv } from '@/lib/env'
import { isAppError } from '@/lib/errors'
import { createLogger } from '@/lib/logger'
import { configuredOAuthProviders } from '@/lib/oauth-providers'

import type { AccountFormState } from './form-state'

const log = createLogger('auth')

/**
 * One text field of a submitted form. A hand-made action call can send
 * anything in place of the form: that reads as a form with no fields, so
 * it gets the same field messages as an empty one, not a 500.
 */
function text(form: unknown, name: string): string | undefined {
  const value = form instanceof FormData ? form.get(name) : null
  return typeof value === 'string' ? value : undefined
}

function refused(
  code: string,
  values: { name?: string; email?: string },
  errors: { fieldErrors?: Record<string, string>; formError?: string },
): AccountFormState {
  return {
    status: 'refused',
    code,
    fieldErrors: errors.fieldErrors ?? {},
    formError: errors.formError,
    values,
  }
}

/**
 * Signs in through Auth.js's credentials provider (which checks the
 * password and the rate limits) and sets the session cookie.
 */
async function signInWith(
  email: string,
  password: string,
  values: { name?: string; email?: string },
  afterSignUp = false,
): Promise<AccountFormState> {
  const guestId = await currentGuestId()
  try {
    await signIn('credentials', { email, password, redirect: false })
    const into = guestId ? await mergedInto(await getDatabase(), guestId) : null
    return into
      ? { status: 'signed-in', merged: { from: guestId!, into } }
      : { status: 'signed-in' }
  } catch (error) {
    if (error instanceof SignInRefused && error.code === 'auth/rate-limited') {
      return refused(error.code, values, {
        formError: `${capitalize(error.detail)}.`,
      })
    }
    // The guest's roster could not move into the account (ADR 012): the
    // sign-in was aborted, no session was set, nothing changed.
    if (
      error instanceof SignInRefused &&
      (error.code === 'auth/merge-failed' || error.code === 'space/full')
    ) {
      const detail = capitalize(error.detail).replace(/\.?$/, '.')
      return refused(error.code, values, {
        formError: afterSignUp
          ? `${detail} Your account was created: sign in once this is solved.`
          : detail,
      })
    }
    if (error instanceof CredentialsSignin) {
      return refused('auth/wrong-credentials', values, {
        formError: WRONG_CREDENTIALS,
      })
    }
    throw error
  }
}

/** The sign-in form's action: email and password. */
export async function signInAction(
  _previous: AccountFormState,
  form: FormData,
): Promise<AccountFormState> {
  const input = { email: text(form, 'email'), password: text(form, 'password') }
  const values = { email: input.email }
  const parsed = signInInput.safeParse(input)
  if (!parsed.success) {
    return refused('auth/invalid-input', values, {
      fieldErrors: fieldErrors(parsed.error),
    })
  }
  return signInWith(parsed.data.email, parsed.data.password, values)
}

/** The sign-up form's action: creates the account, then signs it in. */
export async function signUpAction(
  _previous: AccountFormState,
  form: FormData,
): Promise<AccountFormState> {
  const input = {
    name: text(form, 'name'),
    email: text(form, 'email'),
    password: text(form, 'password'),
  }
  const values = { name: input.name, email: input.email }
  const parsed = signUpInput.safeParse(input)
  if (!parsed.success) {
    return refused('auth/invalid-input', values, {
      fieldErrors: fieldErrors(parsed.error),
    })
  }

  const env = getEnv()
  const address = clientAddress(await headers(), env.TRUSTED_PROXY_HOPS)
  try {
    const user = await signUp(await getDatabase(), parsed.data, {
      address,
      limits: loginLimits(env),
    })
    log.info(`new account ${user.id}`)
  } catch (error) {
    if (!isAppError(error) || error.status >= 500) throw error
    const field = error.field
    return refused(error.code, values, {
      fieldErrors: field ? { [field]: capitalize(error.message) } : {},
      formError: field ? undefined : `${capitalize(error.message)}.`,
    })
  }
  return signInWith(parsed.data.email, parsed.data.password, values, true)
}

/** Where a sign-in that could not even start sends the person back to. */
const START_FAILED = '/sign-in?error=Configuration'

/**
 * A provider button's action: asks Auth.js to start a sign-in with that
 * provider (it sets its PKCE cookie and answers the provider's
 * authorization URL), then sends the browser there. The provider comes
 * back to Auth.js's callback, which merges the guest's roster (ADR 012)
 * and lands on `/`, or on `/sign-in?error=…` when anything refused.
 * A provider that is not configured, or a start that fails, lands on the
 * sign-in page with a notice instead of an error page.
 */
export async function providerSignInAction(form: FormData): Promise<void> {
  const id = text(form, 'provider')
  const provider = configuredOAuthProviders(getEnv()).find(
    (choice) => choice.id === id,
  )
  let target = START_FAILED
  if (provider) {
    try {
      target = await signIn(provider.id, { redirectTo: '/', redirect: false })
    } catch (error) {
      log.error(`could not start a sign-in with ${provider.id}`, error)
    }
  }
  redirect(target)
}

export type { SignedOut } from '@/app/server/end-session.server'

/**
 * Signs out: ends the session and gives a new guest. The page has
 * delivered or given up its pending changes before calling this, and wipes
 * this browser's copies after. See ADR 013.
 */
export async function signOutAction(): Promise<SignedOut> {
  return endSession()
}

function capitalize(message: string): string {
  return message.charAt(0).toUpperCase() + message.slice(1)
}
