'use client'

import type { ReactNode } from 'react'

/** Loads the current page again (the offline page's "Try again"). */
export function ReloadButton({ children }: { children: ReactNode }) {
  return (
    <button type="button" onClick={() => window.location.reload()}>
      {children}
    </button>
  )
}
