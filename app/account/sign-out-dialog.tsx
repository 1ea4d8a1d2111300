'use client'

import { useEffect, useId, useRef } from 'react'

import { lostChangesMessage } from './sign-out-plan'

/**
 * Asks whether to sign out although `count` changes could not reach the
 * server. A modal `<dialog>`: the rest of the page is inert, focus starts
 * on Cancel, Escape cancels, and focus goes back where it was on close.
 */
export function SignOutDialog({
  count,
  onCancel,
  onConfirm,
}: {
  count: number
  onCancel: () => void
  onConfirm: () => void
}) {
  const ref = useRef<HTMLDialogElement>(null)
  const id = useId()

  useEffect(() => {
    const dialog = ref.current
    if (!dialog) return
    const opener =
      document.activeElement instanceof HTMLElement
        ? document.activeElement
        : null
    dialog.showModal()
    return () => {
      dialog.close()
      opener?.focus()
    }
  }, [])

  return (
    <dialog
      ref={ref}
      className="sign-out-dialog"
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-text`}
      onCancel={(event) => {
        event.preventDefault()
        onCancel()
      }}
    >
      <h2 id={`${id}-title`}>Sign out without syncing?</h2>
      <p id={`${id}-text`}>{lostChangesMessage(count)}</p>
      <div className="dialog-actions">
        <button type="button" autoFocus onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className="button-danger" onClick={onConfirm}>
          Sign out anyway
        </button>
      </div>
    </dialog>
  )
}
