'use client'

import Link from 'next/link'
import { useActionState, useEffect, useId, useRef } from 'react'

import { useReplica } from '@/app/replica/replica-context'

import { signInAction, signUpAction } from './actions'
import { type AccountFormState, IDLE } from './form-state'
import { announceViewerChange } from './identity.client'

type Mode = 'sign-in' | 'sign-up'

const WORDING = {
  'sign-in': {
    heading: 'Sign in',
    submit: 'Sign in',
    busy: 'Signing in…',
    other: { href: '/sign-up', text: 'No account yet? Sign up' },
  },
  'sign-up': {
    heading: 'Create an account',
    submit: 'Sign up',
    busy: 'Creating your account…',
    other: { href: '/sign-in', text: 'Already have an account? Sign in' },
  },
} as const

/**
 * The sign-up or sign-in form. The server checks everything and answers
 * messages that show beside their fields; once signed in, the whole page
 * reloads so every part of it sees the new viewer.
 */
export function AccountForm({
  mode,
  signedInAs,
  notice = null,
}: {
  mode: Mode
  /** The signed-in user's name, when there is one. */
  signedInAs: string | null
  /** Why the person was sent back to this page, until they submit. */
  notice?: string | null
}) {
  const replica = useReplica()
  const [state, submit, pending] = useActionState<AccountFormState, FormData>(
    async (previous, form) => {
      // The guest's roster moves into the account on the server (ADR 012):
      // deliver what this browser still holds first. What could not go
      // (the network failed) goes right after the sign-in, still from the
      // guest's replica, which takes the account's space with its queue
      // (its client id then binds to the account, or already was rebound).
      await replica.flush().catch(() => 0)
      const action = mode === 'sign-in' ? signInAction : signUpAction
      const answer = await action(previous, form)
      if (answer.status === 'signed-in' && answer.merged) {
        const { from, into } = answer.merged
        await replica.adoptMergedSpace(from, into).catch(() => false)
      }
      return answer
    },
    IDLE,
  )
  const id = useId()
  const formRef = useRef<HTMLFormElement>(null)
  const wording = WORDING[mode]

  useEffect(() => {
    if (state.status === 'signed-in') {
      // Other tabs ask the server who they are now.
      announceViewerChange(null)
      // A full load, not a client navigation: every part of the page (and
      // the replica) must start over as the new viewer.
      // eslint-disable-next-line @next/next/no-location-assign-relative-destination
      window.location.assign('/')
      return
    }
    if (state.status !== 'refused') return
    const first = Object.keys(state.fieldErrors)[0] ?? 'password'
    formRef.current
      ?.querySelector<HTMLInputElement>(`[name="${first}"]`)
      ?.focus()
  }, [state])

  const refused = state.status === 'refused' ? state : null
  const values = refused?.values ?? {}
  const errorOf = (field: string) => refused?.fieldErrors[field]

  const field = (
    name: 'name' | 'email' | 'password',
    label: string,
    props: React.InputHTMLAttributes<HTMLInputElement>,
  ) => {
    const error = errorOf(name)
    const inputId = `${id}-${name}`
    return (
      <div className="field">
        <label htmlFor={inputId}>{label}</label>
        <input
          id={inputId}
          name={name}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${inputId}-error` : undefined}
          {...props}
        />
        {error ? (
          <p id={`${inputId}-error`} className="field-error" role="alert">
            {error}
          </p>
        ) : null}
      </div>
    )
  }

  // Signing in refreshes this page from the server, which then knows the
  // user: the form stays mounted so its effect can load the roster.
  if (state.status === 'signed-in') {
    return <p role="status">Signed in. Opening your roster…</p>
  }
  if (signedInAs !== null) {
    return (
      <p>
        You are signed in as <strong>{signedInAs}</strong>.{' '}
        <Link href="/">Back to your roster</Link>
      </p>
    )
  }

  return (
    <form
      ref={formRef}
      className="account-form"
      action={submit}
      aria-labelledby={`${id}-heading`}
      noValidate
    >
      <h2 id={`${id}-heading`}>{wording.heading}</h2>
      {notice && state.status === 'idle' ? (
        <p role="alert" className="field-error" data-testid="sign-in-notice">
          {notice}
        </p>
      ) : null}
      {mode === 'sign-up'
        ? field('name', 'Name', {
            type: 'text',
            autoComplete: 'name',
            defaultValue: values.name,
          })
        : null}
      {field('email', 'Email', {
        type: 'email',
        autoComplete: 'email',
        defaultValue: values.email,
      })}
      {field('password', 'Password', {
        type: 'password',
        autoComplete: mode === 'sign-in' ? 'current-password' : 'new-password',
      })}
      <button type="submit" className="button-primary" disabled={pending}>
        {pending ? wording.busy : wording.submit}
      </button>
      <p role="status" className="field-error" data-testid="account-form-error">
        {refused?.formError ?? ''}
      </p>
      <p>
        <Link href={wording.other.href}>{wording.other.text}</Link>
      </p>
    </form>
  )
}
