'use client'

import { useCallback, useMemo, useRef, useState } from 'react'

import type { Avatar } from '@/sync/mutations'

import { useReplica } from '../replica/replica-context'
import {
  describeRefusal,
  type SeenNames,
  SyncStatus,
} from '../replica/sync-status'
import { refusalTarget } from '../replica/sync-wording'

import { AddAvatarForm } from './add-avatar-form'
import type { Viewer } from './api'
import { AvatarItem } from './avatar-item'
import { useRoster, type RosterSnapshot } from './hooks'

interface RosterProps {
  /** The server render's data, shown on first paint without a request. */
  initial: RosterSnapshot
}

/** The viewer's roster: who is browsing, their avatars, and the add form. */
export function Roster({ initial }: RosterProps) {
  const { viewer, avatars, isPending, error, retry } = useRoster(initial)
  const headingRef = useRef<HTMLHeadingElement>(null)
  const [announcement, setAnnouncement] = useState({ text: '', count: 0 })

  const announce = useCallback((text: string) => {
    setAnnouncement((current) => ({ text, count: current.count + 1 }))
  }, [])

  const onDeleteStart = useCallback(
    (avatar: Avatar) => {
      // The row is about to go: keep focus on the roster, not on <body>.
      headingRef.current?.focus()
      announce(`${avatar.name} deleted`)
    },
    [announce],
  )

  const activeCount = avatars?.filter((avatar) => avatar.isActive).length ?? 0
  const names = useSeenNames(avatars)
  const shownIds = useMemo(
    () => new Set(avatars?.map((avatar) => avatar.id)),
    [avatars],
  )
  const { refusals } = useReplica()
  const refusalFor = (id: string) => {
    const refusal = refusals.find((r) => refusalTarget(r.args) === id)
    return refusal && describeRefusal(refusal, names)
  }

  return (
    <section className="roster" aria-labelledby="roster-heading">
      <ViewerLine viewer={viewer} />

      <div className="roster-head">
        <h2 id="roster-heading" ref={headingRef} tabIndex={-1}>
          Roster
        </h2>
        {avatars ? (
          <p className="roster-count">
            {avatars.length} {avatars.length === 1 ? 'avatar' : 'avatars'},{' '}
            {activeCount} active
          </p>
        ) : null}
      </div>

      <SyncStatus shownIds={shownIds} names={names} />

      {error ? (
        <div role="alert" className="notice">
          <p>
            {avatars
              ? `Couldn’t refresh the roster: ${error.message}`
              : `Couldn’t load the roster: ${error.message}`}
          </p>
          <button type="button" onClick={retry}>
            Try again
          </button>
        </div>
      ) : null}

      {avatars === undefined ? (
        isPending && !error ? (
          <p className="muted" aria-busy="true">
            Loading the roster…
          </p>
        ) : null
      ) : avatars.length === 0 ? (
        <p className="muted">No avatars yet. Add the first one below.</p>
      ) : (
        <ul className="avatar-list" aria-labelledby="roster-heading">
          {avatars.map((avatar, index) => (
            <AvatarItem
              key={avatar.id}
              avatar={avatar}
              isFirst={index === 0}
              isLast={index === avatars.length - 1}
              refusal={refusalFor(avatar.id)}
              onAnnounce={announce}
              onDeleteStart={onDeleteStart}
            />
          ))}
        </ul>
      )}

      <AddAvatarForm />

      <p role="status" className="visually-hidden">
        {announcement.text}
        {/* Alternating space: the same words twice are announced twice. */}
        {announcement.count % 2 === 1 ? '\u00a0' : ''}
      </p>
    </section>
  )
}

/**
 * Every name each avatar has had on screen, so a refusal can name the
 * avatar as the person knew it, even once it is gone.
 */
function useSeenNames(avatars: readonly Avatar[] | undefined): SeenNames {
  const [seen] = useState(() => new Map<string, string[]>())
  for (const avatar of avatars ?? []) {
    const names = seen.get(avatar.id) ?? []
    if (names.at(-1) !== avatar.name) {
      seen.set(avatar.id, [...names, avatar.name].slice(-5))
    }
  }
  return seen
}

function ViewerLine({ viewer }: { viewer: Viewer | undefined }) {
  if (!viewer) {
    return <p className="viewer-line muted">Finding out who you are…</p>
  }
  return (
    <p className="viewer-line">
      {viewer.kind === 'guest' ? 'Browsing as guest ' : 'Signed in as '}
      <strong className="viewer-label">{viewer.label}</strong>
    </p>
  )
}
