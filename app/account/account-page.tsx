import Link from 'next/link'

import { getEnv } from '@/lib/env'
import { configuredOAuthProviders } from '@/lib/oauth-providers'
import { getViewer } from '@/lib/viewer.server'

import { AccountForm } from './account-form'
import { ProviderSignIn } from './provider-sign-in'

/**
 * The body of /sign-in and /sign-up: the email and password form, then a
 * button per configured OAuth provider. `notice` explains why the person
 * was sent back here (a refused or failed sign-in).
 */
export async function AccountPage({
  mode,
  notice = null,
}: {
  mode: 'sign-in' | 'sign-up'
  notice?: string | null
}) {
  const viewer = await getViewer()
  const signedInAs = viewer?.kind === 'user' ? viewer.label : null
  return (
    <main className="page">
      <header className="page-header">
        <h1>
          <Link href="/">Rollcall</Link>
        </h1>
      </header>
      <AccountForm mode={mode} signedInAs={signedInAs} notice={notice} />
      {signedInAs === null ? (
        <ProviderSignIn providers={configuredOAuthProviders(getEnv())} />
      ) : null}
    </main>
  )
}
