import type { Metadata } from 'next'

export const metadata: Metadata = {
  title: 'Rollcall',
  robots: { index: false },
}

// The app shell: the service worker precaches this page and serves it for
// `/` when the network is gone, so it must carry nothing of any viewer.
// 'error' fails the build if it ever reads cookies or headers.
export const dynamic = 'error'

/** Boots the client app with no server data; the replica fills it in. */
export default function ShellPage() {
  return (
    <main className="page">
      <header className="page-header">
        <h1>Rollcall</h1>
      </header>
      {/* TODO(#4): render the roster from the browser replica here. */}
      <p role="status" className="shell-status">
        Offline — your roster loads from this device.
      </p>
    </main>
  )
}
