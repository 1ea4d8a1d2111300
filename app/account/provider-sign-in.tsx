'use client'

import { useRef } from 'react'

import { useReplica } from '@/app/replica/replica-context'
import type { OAuthChoice } from '@/lib/oauth-providers'

import { providerSignInAction } from './actions'

/**
 * A "Continue with …" button per configured OAuth provider; nothing when
 * there is none. Each is a form posting to a server action, so it works
 * before the page hydrates too.
 */
export function ProviderSignIn({ providers }: { providers: OAuthChoice[] }) {
  if (providers.length === 0) return null
  return (
    <section className="provider-sign-in" aria-label="Other ways to sign in">
      <p>Or use an account you already have:</p>
      {providers.map((provider) => (
        <ProviderForm key={provider.id} provider={provider} />
      ))}
    </section>
  )
}

function ProviderForm({ provider }: { provider: OAuthChoice }) {
  const replica = useReplica()
  const delivered = useRef(false)
  const delivering = useRef(false)

  // Once hydrated, the replica delivers its outbox first, as the password
  // form does (ADR 012): the page then leaves for the provider, and what
  // stayed queued would be left behind in the guest's replica. The second
  // submit, after delivery, goes to the action.
  const onSubmit = (event: React.FormEvent<HTMLFormElement>) => {
    if (delivered.current) {
      delivered.current = false
      return
    }
    event.preventDefault()
    if (delivering.current) return
    delivering.current = true
    const form = event.currentTarget
    void replica
      .flush()
      .catch(() => 0)
      .then(() => {
        delivering.current = false
        delivered.current = true
        // In a task of its own: a submit asked for while this one is still
        // being dispatched (delivery can finish that fast) is ignored.
        setTimeout(() => form.requestSubmit(), 0)
      })
  }

  return (
    <form action={providerSignInAction} onSubmit={onSubmit}>
      <input type="hidden" name="provider" value={provider.id} />
      <button type="submit">Continue with {provider.name}</button>
    </form>
  )
}
