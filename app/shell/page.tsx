import type { Metadata } from 'next'

import { ReplicaNote } from '../replica/replica-note'
import { ShellRoster } from './shell-roster'

export const metadata: Metadata = {
  title: 'Rollcall',
  robots: { index: false },
}

// The app shell: the service worker precaches this page and serves it for
// `/` when the network is gone, so it must carry nothing of any viewer.
// 'error' fails the build if it ever reads cookies or headers.
export const dynamic = 'error'

/**
 * Boots the client app with no server data: the roster comes from this
 * device (the persisted query cache, then the browser replica).
 */
export default function ShellPage() {
  return (
    <main className="page">
      <header className="page-header">
        <h1>Rollcall</h1>
        <ReplicaNote />
      </header>
      <ShellRoster />
    </main>
  )
}
