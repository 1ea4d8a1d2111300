import Link from 'next/link'

import { getViewer } from '@/lib/viewer.server'

import { AccountForm } from './account-form'

/** The body of /sign-in and /sign-up. */
export async function AccountPage({ mode }: { mode: 'sign-in' | 'sign-up' }) {
  const viewer = await getViewer()
  return (
    <main className="page">
      <header className="page-header">
        <h1>
          <Link href="/">Rollcall</Link>
        </h1>
      </header>
      <AccountForm
        mode={mode}
        signedInAs={viewer?.kind === 'user' ? viewer.label : null}
      />
    </main>
  )
}
