import type { Metadata } from 'next'

import { ReloadButton } from '@/app/pwa/reload-button'

export const metadata: Metadata = {
  title: 'Offline · Rollcall',
  robots: { index: false },
}

// Precached by the service worker and shown to whoever is offline: it must
// stay the same for every viewer. 'error' fails the build if it ever reads
// cookies or headers.
export const dynamic = 'error'

/** What a navigation gets when neither the network nor the cache can answer. */
export default function OfflinePage() {
  return (
    <main className="page offline">
      <header className="page-header">
        <h1>You’re offline</h1>
      </header>
      <p>
        This page needs a connection, and this device has none right now. Your
        roster is still here.
      </p>
      <div className="button-row">
        {/* A full page load, which the worker answers offline; a client-side
            navigation would try the network first and log its failure. */}
        {/* eslint-disable-next-line @next/next/no-html-link-for-pages */}
        <a className="button-link button-primary" href="/">
          Open the roster
        </a>
        <ReloadButton>Try again</ReloadButton>
      </div>
    </main>
  )
}
