import { PGliteWorker } from '@electric-sql/pglite/worker'

import { AppError } from '@/lib/errors'
import { createLogger } from '@/lib/logger'
import { createDrizzleStorage } from '@/sync/client/drizzle-storage'
import { type ChangedIds, SyncEngine } from '@/sync/client/engine'
import { createHttpTransport } from '@/sync/client/http-transport'
import { openPokeStream } from '@/sync/client/poke-stream'
import { replicaDatabase } from '@/sync/client/replica-db'
import type { OutboxEntry } from '@/sync/client/storage'
import type {
  MutationArgs,
  MutationInput,
  MutationName,
} from '@/sync/mutations'
import { SCHEMA_VERSION } from '@/sync/protocol'

import { toApiError, type RosterBackend } from './backend'
import { replicaChannelName, replicaDataDir, replicaName } from './names'
import {
  IDLE_ACTIVITY,
  type SyncActivity,
  withFailure,
  withRefusals,
  withRound,
} from './sync-activity'
import {
  REPLICA_FAILED,
  REPLICA_LEADER,
  type ReplicaWorkerMeta,
} from './worker-protocol'

const log = createLogger('replica')

/** How long a tab waits for the leader to answer its request for a round. */
const ROUND_REQUEST_TIMEOUT_MS = 15_000
/** Rounds `flush()` runs at most before it reports what is left. */
const FLUSH_ROUNDS = 5
/** Attempts at a local write that a change of leader interrupted. */
const LEADER_CHANGE_ATTEMPTS = 3

export interface ReplicaEvents {
  /** Visible rows changed, in this tab or in another. */
  onChange(changed: ChangedIds): void
  /** The outbox, the cursor or the leadership may have moved. */
  onStatus(): void
  /** The replica stopped being usable in this tab. */
  onFailure(reason: string): void
  /** The server answers for another space than the replica holds. */
  onSpaceMismatch(): void
  /** The leader's sync activity moved (rounds, failures, refusals, pause). */
  onActivity(activity: SyncActivity): void
}

/** What the inspector shows of the replica's own state. */
export interface ReplicaInspection {
  clientId: string
  spaceId: string
  cursor: string | null
  outbox: OutboxEntry[]
}

/** One tab's view of the browser replica of a space. */
export interface ReplicaHandle {
  readonly name: string
  readonly backend: RosterBackend
  /** True in the one tab that owns the database and runs the sync loop. */
  isLeader(): boolean
  /** Mutations waiting in the outbox. */
  pendingCount(): Promise<number>
  /** Whether the replica has pulled from the server at least once. */
  hasCursor(): Promise<boolean>
  /**
   * Runs a round that starts after this call (in the leader, asked for by
   * message from other tabs); resolves with whether it succeeded.
   */
  freshRound(): Promise<boolean>
  /**
   * Tries to deliver the outbox now (the leader runs the rounds; another
   * tab asks it), and resolves with how many changes are still not on the
   * server: 0 once everything is delivered.
   */
  flush(): Promise<number>
  /**
   * The server merged this replica's space into `spaceId` (a guest who
   * signed in): the replica takes that space with its queue and delivers
   * it (in the leader). Resolves with whether nothing is left to deliver.
   */
  adoptMergedSpace(spaceId: string): Promise<boolean>
  /** Resolves after the next round any tab sees complete. */
  nextRound(): Promise<void>
  /** Asks the leader for a round soon (online, focus). */
  requestSync(): void
  /** The leader's sync activity as this tab last heard it. */
  activity(): SyncActivity
  /** Stops or restarts the leader's network side (local writes go on). */
  setPaused(paused: boolean): void
  inspect(): Promise<ReplicaInspection>
  close(): void
}

type ChannelMessage =
  | { type: 'changed'; changed: ChangedIds }
  | { type: 'round' }
  | { type: 'sync'; nonce?: string }
  | { type: 'adopt'; spaceId: string; nonce: string }
  | { type: 'synced'; nonce: string; ok: boolean }
  | { type: 'activity'; activity: SyncActivity }
  | { type: 'activity?' }
  | { type: 'pause'; paused: boolean }
  | { type: typeof REPLICA_FAILED; message: string }

/**
 * Opens this tab's side of the replica: a dedicated PGlite worker (whose
 * runtime elects the leader among the tabs), the sync engine over it, and
 * a BroadcastChannel to the other tabs. Only the leader runs the engine's
 * loop and the poke stream; the other tabs write through the leader's
 * database and ask it for rounds. Rejects with `replica/unavailable` when
 * PGlite cannot run here.
 */
export async function openReplica(
  spaceId: string,
  events: ReplicaEvents,
): Promise<ReplicaHandle> {
  assertSupported()
  const name = replicaName(spaceId)
  const started = performance.now()

  const worker = new Worker(
    new URL('./replica-worker.client.ts', import.meta.url),
    { type: 'module', name: 'rollcall-replica' },
  )
  const channel = new BroadcastChannel(replicaChannelName(name))
  const leadership = leadershipOf(worker)
  const failed = failureOf(worker, channel)
  let pglite: PGliteWorker | undefined
  try {
    const meta: ReplicaWorkerMeta = { spaceId, epoch: SCHEMA_VERSION, name }
    pglite = await Promise.race([
      PGliteWorker.create(worker, {
        dataDir: replicaDataDir(name),
        id: name,
        meta,
      }),
      failed,
    ])
    await Promise.race([pglite.waitReady, failed])
  } catch (error) {
    channel.close()
    if (pglite) closeQuietly(pglite)
    else worker.terminate()
    throw error
  }

  const engine = await SyncEngine.open({
    storage: createDrizzleStorage(replicaDatabase(pglite)),
    transport: createHttpTransport(),
    spaceId,
  })
  const handle = new Replica(name, pglite, engine, channel, leadership, events)
  log.info(
    `replica ${name} ready in ${Math.round(performance.now() - started)} ms` +
      (handle.isLeader() ? ' (leader)' : ''),
  )
  void failed.catch((error: unknown) => handle.fail(error))
  return handle
}

class Replica implements ReplicaHandle {
  readonly backend: RosterBackend
  #leading = false
  #closed = false
  #pokes: { close(): void } | undefined
  #roundWaiters = new Set<() => void>()
  #syncAnswers = new Map<string, (ok: boolean) => void>()
  #cleanup: (() => void)[] = []
  #activity: SyncActivity = IDLE_ACTIVITY

  constructor(
    readonly name: string,
    private readonly pglite: PGliteWorker,
    private readonly engine: SyncEngine,
    private readonly channel: BroadcastChannel,
    private readonly leadership: Leadership,
    private readonly events: ReplicaEvents,
  ) {
    this.backend = {
      kind: 'replica',
      listAvatars: () =>
        this.#retryOnLeaderChange(() => engine.listAvatars()).catch(
          (error: unknown) => {
            throw toApiError(error)
          },
        ),
      write: async (name, args) => {
        try {
          await this.#mutate(name, args)
        } catch (error) {
          throw toApiError(error)
        }
        return null
      },
    }

    this.#cleanup.push(
      engine.subscribe({
        onChange: (changed) => {
          this.channel.postMessage({ type: 'changed', changed })
          this.events.onChange(changed)
        },
        onRound: (result, timing) => {
          this.#share(withRound(this.#activity, result, timing))
          this.channel.postMessage({ type: 'round' })
          this.#roundDone()
        },
        onRoundFailed: (failure) => {
          this.#share(withFailure(this.#activity, failure, Date.now()))
        },
        onRefused: (refusals) => {
          for (const refusal of refusals) {
            log.info(
              `the server refused ${refusal.name} (${refusal.code}): ${refusal.message}`,
            )
          }
          this.#share(withRefusals(this.#activity, refusals, Date.now()))
        },
        onError: (error) => {
          log.warn(`sync paused: ${toApiError(error).message}`)
          this.events.onStatus()
        },
        onSpaceMismatch: () => this.events.onSpaceMismatch(),
      }),
      leadership.onLead(() => this.#checkLeader()),
      listen(channel, (message) => this.#receive(message)),
      listen(window, 'online', () => this.requestSync()),
      listen(window, 'focus', () => this.requestSync()),
      listen(document, 'visibilitychange', () => {
        if (document.visibilityState === 'visible') this.requestSync()
      }),
    )
    this.#checkLeader()
    if (!this.#leading) this.channel.postMessage({ type: 'activity?' })
  }

  isLeader(): boolean {
    return this.#leading
  }

  async pendingCount(): Promise<number> {
    const pending = await this.#retryOnLeaderChange(() =>
      this.engine.pendingMutations(),
    )
    return pending.length
  }

  async hasCursor(): Promise<boolean> {
    const state = await this.#retryOnLeaderChange(() => this.engine.readState())
    return state.cursor !== null
  }

  freshRound(): Promise<boolean> {
    if (this.#leading) {
      return this.engine.sync().then(
        () => true,
        () => false,
      )
    }
    return this.#askLeader((nonce) => ({ type: 'sync', nonce }))
  }

  adoptMergedSpace(spaceId: string): Promise<boolean> {
    if (this.#leading) {
      return this.engine.adoptMergedSpace(spaceId).then(
        async () => (await this.flush()) === 0,
        () => false,
      )
    }
    return this.#askLeader((nonce) => ({ type: 'adopt', spaceId, nonce }))
  }

  /** Sends the leader a request and waits for its `synced` answer. */
  #askLeader(message: (nonce: string) => ChannelMessage): Promise<boolean> {
    const nonce = crypto.randomUUID()
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => answer(false), ROUND_REQUEST_TIMEOUT_MS)
      const answer = (ok: boolean) => {
        clearTimeout(timer)
        this.#syncAnswers.delete(nonce)
        resolve(ok)
      }
      this.#syncAnswers.set(nonce, answer)
      this.channel.postMessage(message(nonce))
    })
  }

  async flush(): Promise<number> {
    for (let round = 0; round < FLUSH_ROUNDS; round++) {
      const pending = await this.pendingCount()
      if (pending === 0 || !(await this.freshRound())) return pending
    }
    return this.pendingCount()
  }

  nextRound(): Promise<void> {
    return new Promise((resolve) => this.#roundWaiters.add(resolve))
  }

  requestSync(): void {
    if (this.#closed) return
    if (this.#leading) this.engine.requestSync()
    else this.channel.postMessage({ type: 'sync' })
  }

  activity(): SyncActivity {
    return this.#activity
  }

  setPaused(paused: boolean): void {
    if (this.#closed) return
    if (this.#leading) this.#pause(paused)
    else this.channel.postMessage({ type: 'pause', paused })
  }

  async inspect(): Promise<ReplicaInspection> {
    const [state, outbox] = await this.#retryOnLeaderChange(() =>
      Promise.all([this.engine.readState(), this.engine.pendingMutations()]),
    )
    return {
      clientId: state.clientId,
      spaceId: state.spaceId ?? this.engine.spaceId,
      cursor: state.cursor,
      outbox,
    }
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.engine.stop()
    this.#pokes?.close()
    for (const cleanup of this.#cleanup) cleanup()
    for (const answer of this.#syncAnswers.values()) answer(false)
    this.channel.close()
    closeQuietly(this.pglite)
  }

  /** The leader's worker could not keep the replica open. */
  fail(error: unknown): void {
    if (this.#closed) return
    const reason = error instanceof Error ? error.message : String(error)
    this.close()
    this.events.onFailure(reason)
  }

  async #mutate<N extends MutationName>(name: N, args: MutationArgs<N>) {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.engine.mutate(name, args as MutationInput<N>)
        break
      } catch (error) {
        if (!leaderChanged(error) || attempt >= LEADER_CHANGE_ATTEMPTS) {
          throw error
        }
        // The old leader may have committed before it went: a create whose
        // row is there needs no second try (the others are idempotent).
        await this.pglite.waitReady
        const id = 'id' in args ? args.id : undefined
        if (name === 'createAvatar') {
          const rows = await this.engine.listAvatars()
          if (rows.some((avatar) => avatar.id === id)) break
        }
      }
    }
    if (!this.#leading) this.channel.postMessage({ type: 'sync' })
  }

  async #retryOnLeaderChange<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work()
      } catch (error) {
        if (!leaderChanged(error) || attempt >= LEADER_CHANGE_ATTEMPTS) {
          throw error
        }
        await this.pglite.waitReady
      }
    }
  }

  #pause(paused: boolean) {
    if (paused === this.#activity.paused) return
    if (paused) this.engine.stop()
    else this.engine.start()
    log.info(paused ? 'network paused' : 'network resumed')
    this.#share({ ...this.#activity, paused })
  }

  /** Keeps the leader's activity and tells this tab and the others. */
  #share(activity: SyncActivity) {
    this.#activity = activity
    this.channel.postMessage({ type: 'activity', activity })
    this.events.onActivity(activity)
  }

  #checkLeader() {
    if (this.#closed || this.#leading || !this.leadership.leads()) return
    this.#leading = true
    log.info(`this tab leads replica ${this.name}`)
    // A paused leader that went away leaves no pause behind: sync.
    this.#share({ ...this.#activity, paused: false, failure: null })
    this.engine.start()
    this.#pokes = openPokeStream({
      url: '/api/sync/events',
      onPoke: () => this.engine.requestSync(),
    })
    this.events.onStatus()
  }

  #receive(message: ChannelMessage) {
    switch (message.type) {
      case 'changed':
        this.events.onChange(message.changed)
        return
      case 'round':
        this.#roundDone()
        return
      case 'sync':
        if (!this.#leading) return
        if (message.nonce === undefined) {
          this.engine.requestSync()
          return
        }
        void this.freshRound().then((ok) =>
          this.channel.postMessage({
            type: 'synced',
            nonce: message.nonce,
            ok,
          }),
        )
        return
      case 'adopt':
        if (!this.#leading) return
        void this.adoptMergedSpace(message.spaceId).then((ok) =>
          this.channel.postMessage({
            type: 'synced',
            nonce: message.nonce,
            ok,
          }),
        )
        return
      case 'activity':
        if (this.#leading) return
        this.#activity = message.activity
        this.events.onActivity(message.activity)
        return
      case 'activity?':
        if (this.#leading) {
          this.channel.postMessage({
            type: 'activity',
            activity: this.#activity,
          })
        }
        return
      case 'pause':
        if (this.#leading) this.#pause(message.paused)
        return
      case 'synced':
        this.#syncAnswers.get(message.nonce)?.(message.ok)
        return
      case REPLICA_FAILED:
        this.fail(unavailable(message.message))
        return
    }
  }

  #roundDone() {
    const waiters = [...this.#roundWaiters]
    this.#roundWaiters.clear()
    for (const resolve of waiters) resolve()
    this.events.onStatus()
  }
}

function assertSupported(): void {
  const missing = [
    typeof Worker === 'undefined' && 'Worker',
    typeof BroadcastChannel === 'undefined' && 'BroadcastChannel',
    typeof navigator.locks === 'undefined' && 'Web Locks',
    (typeof indexedDB === 'undefined' || indexedDB === null) && 'IndexedDB',
  ].filter(Boolean)
  if (missing.length > 0) {
    throw unavailable(`this browser lacks ${missing.join(', ')}`)
  }
}

interface Leadership {
  /** True once this tab's worker won the election. */
  leads(): boolean
  /** Calls `listener` when it does; returns the function that stops it. */
  onLead(listener: () => void): () => void
}

/** Follows this tab's worker's own word that it leads (see REPLICA_LEADER). */
function leadershipOf(worker: Worker): Leadership {
  let leads = false
  const listeners = new Set<() => void>()
  worker.addEventListener('message', (event: MessageEvent) => {
    const data = event.data as { type?: unknown }
    if (data?.type !== REPLICA_LEADER) return
    leads = true
    for (const listener of listeners) listener()
  })
  return {
    leads: () => leads,
    onLead(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}

/** Rejects when this tab's worker or the leader says the replica failed. */
function failureOf(worker: Worker, channel: BroadcastChannel): Promise<never> {
  return new Promise<never>((_, reject) => {
    worker.addEventListener('message', (event: MessageEvent) => {
      const data = event.data as { type?: unknown; message?: unknown }
      if (data?.type === REPLICA_FAILED) {
        reject(unavailable(String(data.message)))
      }
    })
    worker.addEventListener('error', (event) => {
      reject(unavailable(`the replica worker failed: ${event.message}`))
    })
    channel.addEventListener('message', (event: MessageEvent) => {
      const data = event.data as { type?: unknown; message?: unknown }
      if (data?.type === REPLICA_FAILED) {
        reject(unavailable(String(data.message)))
      }
    })
  })
}

function listen(
  target: BroadcastChannel,
  onMessage: (message: ChannelMessage) => void,
): () => void
function listen(
  target: EventTarget,
  type: string,
  listener: () => void,
): () => void
function listen(
  target: EventTarget,
  typeOrListener: string | ((message: ChannelMessage) => void),
  listener?: () => void,
): () => void {
  if (typeof typeOrListener === 'string') {
    target.addEventListener(typeOrListener, listener!)
    return () => target.removeEventListener(typeOrListener, listener!)
  }
  const onMessage = (event: Event) =>
    typeOrListener((event as MessageEvent<ChannelMessage>).data)
  target.addEventListener('message', onMessage)
  return () => target.removeEventListener('message', onMessage)
}

/**
 * Closes a PGliteWorker. One that is not connected to a leader (its leader
 * failed, or a new one is being elected) keeps announcing itself on a timer
 * that posts to the channel `close()` just closed, and that one post throws
 * as an uncaught error; it is expected and kept out of the page's errors.
 */
function closeQuietly(pglite: PGliteWorker): void {
  const expected = (event: PromiseRejectionEvent) => {
    const reason: unknown = event.reason
    if (
      reason instanceof Error &&
      /BroadcastChannel.*closed/i.test(reason.message)
    ) {
      event.preventDefault()
    }
  }
  window.addEventListener('unhandledrejection', expected)
  setTimeout(
    () => window.removeEventListener('unhandledrejection', expected),
    1000,
  )
  void pglite.close()
}

/** PGlite's worker rejects a query cut off by a change of leader. */
function leaderChanged(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (cause.name === 'LeaderChangedError') return true
    if (
      cause.message ===
      'Leader changed, pending operation in indeterminate state'
    ) {
      return true
    }
  }
  return false
}

function unavailable(reason: string): AppError {
  return new AppError('replica/unavailable', reason, { status: 503 })
}
