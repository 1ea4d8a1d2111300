import type { Metadata } from 'next'

import { AccountPage } from '../account/account-page'

export const dynamic = 'force-dynamic'
export const metadata: Metadata = { title: 'Sign in · Rollcall' }

export default function SignInPage() {
  return <AccountPage mode="sign-in" />
}
