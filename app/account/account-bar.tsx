'use client'

import Link from 'next/link'
import { useTransition } from 'react'

import { signOutAction } from './actions'

/**
 * Sign-up and sign-in links for a guest; a sign-out button for a user.
 */
export function AccountBar({ kind }: { kind: 'guest' | 'user' | null }) {
  const [pending, start] = useTransition()

  if (kind !== 'user') {
    return (
      <nav className="account-bar" aria-label="Account">
        <Link href="/sign-up">Sign up</Link>
        <Link href="/sign-in">Sign in</Link>
      </nav>
    )
  }
  return (
    <nav className="account-bar" aria-label="Account">
      <button
        type="button"
        disabled={pending}
        onClick={() =>
          start(async () => {
            await signOutAction()
            // A full load, not a client navigation: every part of the page (and
            // the replica) must start over as the new viewer.
            // eslint-disable-next-line @next/next/no-location-assign-relative-destination
            window.location.assign('/')
          })
        }
      >
        {pending ? 'Signing out…' : 'Sign out'}
      </button>
    </nav>
  )
}
