import type { Metadata } from 'next'

import { signInNotice } from '@/lib/sign-in-notices'

import { AccountPage } from '../account/account-page'

export const dynamic = 'force-dynamic'
export const metadata: Metadata = { title: 'Sign in · Rollcall' }

type Query = Record<string, string | string[] | undefined>

/** One value of a query parameter (the first, when it is repeated). */
function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

/**
 * Auth.js sends refused and failed sign-ins here (its `signIn` and `error`
 * pages), with `?error=` and sometimes `&code=`: they become a notice.
 */
export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<Query>
}) {
  const query = await searchParams
  const notice = signInNotice(single(query.error), single(query.code))
  return <AccountPage mode="sign-in" notice={notice} />
}
