import { loadRoster } from '@/app/server/roster.server'
import { getViewer } from '@/lib/viewer.server'

import { AccountBar } from './account/account-bar'
import { ReplicaNote } from './replica/replica-note'
import { SyncInspector } from './replica/sync-inspector'
import { Roster } from './roster/roster'

// Every render belongs to the viewer in the cookie: never prerender or share.
export const dynamic = 'force-dynamic'

export default async function HomePage() {
  const viewer = await getViewer()
  const avatars = viewer ? await loadRoster(viewer.spaceId) : []

  return (
    <main className="page">
      <header className="page-header">
        <h1>Rollcall</h1>
        <AccountBar kind={viewer?.kind ?? null} />
        <ReplicaNote />
      </header>
      <Roster
        initial={{
          // Only what the browser needs crosses to it.
          viewer: viewer && {
            kind: viewer.kind,
            spaceId: viewer.spaceId,
            label: viewer.label,
          },
          avatars,
        }}
      />
      <SyncInspector />
    </main>
  )
}
