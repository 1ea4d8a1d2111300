import type { Metadata } from 'next'

import { AccountPage } from '../account/account-page'

export const dynamic = 'force-dynamic'
export const metadata: Metadata = { title: 'Sign up · Rollcall' }

export default function SignUpPage() {
  return <AccountPage mode="sign-up" />
}
