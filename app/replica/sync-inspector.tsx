'use client'

import { useEffect, useState, useSyncExternalStore } from 'react'

import type { ReplicaInspection } from './open-replica.client'
import { useReplica } from './replica-context'

/**
 * The sync inspector: the outbox, the replica's ids and cursor, recent
 * rounds and refusals, and a switch that pauses the network side so that
 * conflicting edits can be staged by hand. Shown in development, and in
 * production with `?inspect=1` in the URL.
 */
export function SyncInspector() {
  const wanted = useSyncExternalStore(noSubscription, inspectorWanted, never)
  if (!wanted) return null
  return <InspectorPanel />
}

function inspectorWanted(): boolean {
  if (process.env.NODE_ENV !== 'production') return true
  return new URLSearchParams(window.location.search).get('inspect') === '1'
}

function noSubscription(): () => void {
  return () => {}
}

function never(): boolean {
  return false
}

function InspectorPanel() {
  const { status, pending, activity, inspect, setPaused } = useReplica()
  const [inspection, setInspection] = useState<ReplicaInspection | null>(null)

  useEffect(() => {
    let current = true
    const read = () =>
      inspect().then(
        (next) => {
          if (current) setInspection(next)
        },
        () => {},
      )
    void read()
    // Other tabs' writes move the outbox too; a slow poll catches them.
    const timer = setInterval(read, 2000)
    return () => {
      current = false
      clearInterval(timer)
    }
  }, [inspect, status, pending, activity])

  return (
    <section
      className="sync-inspector"
      aria-labelledby="sync-inspector-heading"
      data-testid="sync-inspector"
    >
      <h2 id="sync-inspector-heading">Sync inspector</h2>
      {status !== 'ready' || !inspection ? (
        <p className="muted">No replica in this tab yet ({status}).</p>
      ) : (
        <>
          <label className="inspector-switch">
            <input
              type="checkbox"
              role="switch"
              checked={activity.paused}
              onChange={(event) => setPaused(event.target.checked)}
            />{' '}
            Pause network
          </label>
          <dl className="inspector-facts">
            <dt>Client id</dt>
            <dd data-testid="inspector-client-id">{inspection.clientId}</dd>
            <dt>Space id</dt>
            <dd>{inspection.spaceId}</dd>
            <dt>Cursor</dt>
            <dd data-testid="inspector-cursor">
              {inspection.cursor ?? 'none yet'}
            </dd>
          </dl>
          <Outbox inspection={inspection} />
          <Rounds rounds={activity.rounds} />
          <Refusals refusals={activity.refusals} />
        </>
      )}
    </section>
  )
}

function Outbox({ inspection }: { inspection: ReplicaInspection }) {
  const { outbox } = inspection
  return (
    <>
      <h3>Outbox ({outbox.length})</h3>
      {outbox.length === 0 ? (
        <p className="muted">Empty.</p>
      ) : (
        <table data-testid="inspector-outbox">
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">Name</th>
              <th scope="col">Args</th>
            </tr>
          </thead>
          <tbody>
            {outbox.map((entry) => (
              <tr key={entry.id}>
                <td>{entry.id}</td>
                <td>{entry.name}</td>
                <td>
                  <code>{JSON.stringify(entry.args)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  )
}

type Activity = ReturnType<typeof useReplica>['activity']

function Rounds({ rounds }: { rounds: Activity['rounds'] }) {
  return (
    <>
      <h3>Recent rounds</h3>
      {rounds.length === 0 ? (
        <p className="muted">None yet.</p>
      ) : (
        <table data-testid="inspector-rounds">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Kind</th>
              <th scope="col">Pushed</th>
              <th scope="col">Acked</th>
              <th scope="col">Refused</th>
              <th scope="col">Changed</th>
              <th scope="col">ms</th>
            </tr>
          </thead>
          <tbody>
            {rounds.map((round) => (
              <tr key={round.at}>
                <td>{new Date(round.at).toLocaleTimeString()}</td>
                <td>{round.kind}</td>
                <td>{round.pushed}</td>
                <td>{round.acknowledged}</td>
                <td>{round.refused}</td>
                <td>{round.changed}</td>
                <td>{round.durationMs}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  )
}

function Refusals({ refusals }: { refusals: Activity['refusals'] }) {
  return (
    <>
      <h3>Recent refusals</h3>
      {refusals.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <ul data-testid="inspector-refusals">
          {refusals.map((refusal) => (
            <li key={`${refusal.at}-${refusal.id}`}>
              {new Date(refusal.at).toLocaleTimeString()} #{refusal.id}{' '}
              {refusal.name}: {refusal.code} ({refusal.message})
            </li>
          ))}
        </ul>
      )}
    </>
  )
}
