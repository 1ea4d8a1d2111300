/**
 * The client sync engine: local writes, sync rounds and the rebase that
 * keeps a replica's readers from ever seeing time go backwards.
 *
 * - `mutate()` validates a mutation, then in one local transaction applies
 *   it to the visible rows and appends it to the outbox under the next
 *   mutation id. Invalid input throws and queues nothing.
 * - `sync()` runs one round: it pushes the outbox and pulls in one request,
 *   then in one local transaction stores the server's rows as the base,
 *   drops acknowledged mutations, rebuilds the visible rows touched by the
 *   pull or by any queued mutation from the base, and re-applies the
 *   mutations still pending. Refused mutations lose their local effect and
 *   are reported to `onRefused`. One round runs at a time; the cursor only
 *   moves forward (a reset may move it back: the server's history changed).
 * - `start()` keeps syncing: after local writes (debounced), on
 *   `requestSync()` (online, focus, a poke), on a timer, and after failures
 *   with a growing, jittered backoff. Permanent (4xx) failures go to
 *   `onError` and pause the loop until the next local write or
 *   `requestSync()`.
 *
 * A client the server may not have bound to a space yet (no acknowledged
 * mutation) pushes only right after a pull-only round that confirmed the
 * server answers for the replica's space: the first push binds the client
 * id, and it must bind it to the right space.
 *
 * ## A change of space
 *
 * The viewer's space can change under a replica: an account merge, a
 * sign-out, a guest whose token expired and who got a new one. The engine
 * notices when it is opened for another space than the replica holds, when
 * the server answers for another space, or when the server says this client
 * id belongs elsewhere (`sync/client-space-mismatch`). It then refuses to
 * write or sync (`sync/space-changed`) and tells `onSpaceMismatch`. There is
 * one way on, `switchSpace(newSpaceId, { deliver })`:
 *
 * 1. When `deliver` says the old identity can still push (`true`: the
 *    engine's transport still speaks for the old space; or a transport that
 *    does), the pending mutations are delivered to the OLD space, checking
 *    every answer comes from that space. Nothing is ever pushed or applied
 *    to the new space on the old replica's behalf.
 * 2. Whatever could not be delivered is returned to the caller, who may show
 *    it to the person or discard it. It is never replayed silently.
 * 3. The replica's rows, outbox and state are wiped, and a new client id is
 *    bound to the new space, which the next round pulls from scratch.
 *
 * When the caller knows the identity is about to change (sign-in with its
 * merge, sign-out), it calls `flush()` first, while the old identity still
 * pushes, and `switchSpace(newSpaceId, { deliver: false })` once the new
 * space is known; anything written in between comes back as undelivered.
 */
import { isAppError, AppError } from '../../lib/errors'
import { createLogger } from '../../lib/logger'
import {
  type Avatar,
  type MutationArgs,
  type MutationInput,
  type MutationName,
} from '../mutations'
import {
  MAX_MUTATIONS_PER_PUSH,
  parseCursor,
  PROTOCOL_VERSION,
  SCHEMA_VERSION,
  type SyncRequest,
  type SyncResponse,
} from '../protocol'
import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from './backoff'
import {
  applyLocalMutation,
  completeMutation,
  parseMutationArgs,
  targetOf,
} from './local-mutators'
import type {
  OutboxEntry,
  ReplicaState,
  ReplicaStorage,
  ReplicaTransaction,
} from './storage'
import { isRetryable, parseSyncResponse, type SyncTransport } from './transport'

const log = createLogger('sync')

/**
 * How long a pull-only round vouches for the space before a client the
 * server may not have bound yet pushes. Identity can change while a client
 * sits offline, so an old confirmation is not trusted.
 */
const CONFIRMATION_WINDOW_MS = 10_000

export interface SyncEngineOptions {
  storage: ReplicaStorage
  transport: SyncTransport
  /** The viewer's space, as the server said. */
  spaceId: string
  /** Retry delays after failed rounds. */
  backoff?: BackoffOptions
  /** Jitter source, in [0, 1). */
  random?: () => number
  /** Rounds run at least this often while started, in ms. */
  pollIntervalMs?: number
  /** Local writes wait this long for company before a round, in ms. */
  debounceMs?: number
  /** Rounds `flush()` and `switchSpace()` run at most. */
  maxFlushRounds?: number
  /** Makes new client ids (a random UUID by default). */
  newClientId?: () => string
}

/** Avatar ids whose visible rows changed, or 'all' after a rebuild. */
export type ChangedIds = readonly string[] | 'all'

/** A mutation the server refused for good; its local effect is gone. */
export interface RefusedMutation {
  id: number
  name: string
  args: unknown
  code: string
  message: string
  field?: string
}

export interface SyncEngineListener {
  /** Visible rows changed (a local write, or a round that changed them). */
  onChange?(changed: ChangedIds): void
  onRefused?(refusals: readonly RefusedMutation[]): void
  /** The server answers for another space: call `switchSpace`. */
  onSpaceMismatch?(mismatch: SpaceMismatch): void
  /** A background round failed for good (4xx); the loop pauses. */
  onError?(error: unknown): void
  /**
   * A round completed and its answer is stored (whether or not any visible
   * row changed): the outbox and cursor may have moved.
   */
  onRound?(result: RoundResult, timing: RoundTiming): void
  /** A background round failed; `retryInMs` is null when the loop pauses. */
  onRoundFailed?(failure: RoundFailure): void
}

export interface RoundTiming {
  /** When the round started, in ms since the epoch. */
  startedAt: number
  durationMs: number
}

export interface RoundFailure {
  /** Failed rounds in a row. */
  failures: number
  /** The wait before the next try, or null when none is scheduled. */
  retryInMs: number | null
  error: unknown
}

export interface SpaceMismatch {
  replicaSpaceId: string
  /** The space the server answered for, when it said. */
  viewerSpaceId: string | null
}

/** What `mutate()` queued. */
export interface MutationReceipt<N extends MutationName = MutationName> {
  /** The mutation's id in this client's sequence. */
  id: number
  name: N
  /** The arguments as queued: parsed, with defaults and position filled in. */
  args: MutationArgs<N>
  /** False when it changed nothing locally (its row is missing). */
  applied: boolean
}

export interface RoundResult {
  kind: SyncResponse['kind']
  /** Mutations this round carried. */
  pushed: number
  /** Outbox entries the server applied or refused, now dropped. */
  acknowledged: number
  refused: RefusedMutation[]
  /** Visible rows that changed; empty when none did. */
  changed: ChangedIds
  /** Outbox entries still waiting. */
  pending: number
  /** Another round should follow at once (more to push). */
  more: boolean
}

export interface SwitchSpaceOptions {
  /**
   * Whether the old identity can still push: `true` when the engine's
   * transport still speaks for the old space, a transport that does, or
   * `false` when nothing can be delivered any more.
   */
  deliver: boolean | SyncTransport
}

export interface SwitchSpaceResult {
  /** The new client id, bound to the new space. */
  clientId: string
  /** Mutations the old space applied or refused during delivery. */
  delivered: number
  /** Refusals among the delivered mutations. */
  refused: RefusedMutation[]
  /** Mutations that reached no server; dropped from the replica. */
  undelivered: OutboxEntry[]
  /** Why delivery stopped short, when it did. */
  deliveryError?: unknown
}

interface RoundOptions {
  transport: SyncTransport
  /** Delivering to the old space during a switch: mismatch is expected. */
  delivering?: boolean
}

interface AppliedResponse {
  result: RoundResult
  unreadable: RefusedMutation[]
}

type Task<T> = () => Promise<T>

export class SyncEngine {
  readonly #storage: ReplicaStorage
  readonly #transport: SyncTransport
  readonly #options: Required<
    Omit<SyncEngineOptions, 'storage' | 'transport' | 'spaceId'>
  >
  readonly #listeners = new Set<SyncEngineListener>()

  #clientId: string
  #spaceId: string
  #mismatch: SpaceMismatch | undefined
  /** When a pull-only round last confirmed the server's space. */
  #confirmedAt: number | undefined

  /** Rounds and space switches run one by one on this chain. */
  #lane: Promise<unknown> = Promise.resolve()
  /** A round queued behind the running one, which later calls join. */
  #queuedRound: Promise<RoundResult> | undefined
  /** Whether a `sync()` caller, not only the loop, waits for that round. */
  #queuedRoundAsked = false

  #started = false
  /** The round a tick of the loop waits for; ticks that join it add nothing. */
  #tickRound: Promise<RoundResult> | undefined
  #timer: ReturnType<typeof setTimeout> | undefined
  #timerDue = 0
  #failures = 0

  private constructor(
    options: SyncEngineOptions,
    state: ReplicaState & { spaceId: string },
  ) {
    this.#storage = options.storage
    this.#transport = options.transport
    this.#options = {
      backoff: options.backoff ?? DEFAULT_BACKOFF,
      random: options.random ?? Math.random,
      pollIntervalMs: options.pollIntervalMs ?? 60_000,
      debounceMs: options.debounceMs ?? 250,
      maxFlushRounds: options.maxFlushRounds ?? 20,
      newClientId: options.newClientId ?? (() => crypto.randomUUID()),
    }
    this.#clientId = state.clientId
    this.#spaceId = state.spaceId
  }

  /**
   * Opens the engine on a replica, creating its client id on first use. A
   * replica written under another schema epoch keeps its queue and asks the
   * server for a reset on its next round. A replica holding another space
   * than `spaceId` opens in the mismatch state (see `switchSpace`).
   */
  static async open(options: SyncEngineOptions): Promise<SyncEngine> {
    const newClientId = options.newClientId ?? (() => crypto.randomUUID())
    const state = await options.storage.transaction(async (tx) => {
      const stored = await tx.readState()
      if (stored?.spaceId) return { ...stored, spaceId: stored.spaceId }
      const state = stored
        ? { ...stored, spaceId: options.spaceId }
        : freshState(newClientId(), options.spaceId)
      await tx.writeState(state)
      return state
    })

    const engine = new SyncEngine(options, state)
    if (state.schemaVersion !== SCHEMA_VERSION) {
      log.info(
        `replica written under schema ${state.schemaVersion}, code is on ${SCHEMA_VERSION}: the next round asks for a reset`,
      )
    }
    if (state.spaceId !== options.spaceId) {
      engine.#strand(options.spaceId)
    }
    return engine
  }

  get clientId(): string {
    return this.#clientId
  }

  /** The space the replica holds. */
  get spaceId(): string {
    return this.#spaceId
  }

  /** Set while the viewer's space differs from the replica's. */
  get spaceMismatch(): SpaceMismatch | undefined {
    return this.#mismatch
  }

  /** Failed rounds in a row (0 after a success). */
  get failures(): number {
    return this.#failures
  }

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: SyncEngineListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** The visible roster, in order. */
  listAvatars(): Promise<Avatar[]> {
    const spaceId = this.#spaceId
    return this.#storage.transaction((tx) => tx.visible(spaceId).list())
  }

  /** The mutations waiting for the server, in id order. */
  pendingMutations(): Promise<OutboxEntry[]> {
    return this.#storage.transaction((tx) => tx.readOutbox())
  }

  readState(): Promise<ReplicaState> {
    return this.#storage.transaction(async (tx) => {
      const state = await tx.readState()
      if (!state) throw replicaChanged()
      return state
    })
  }

  /**
   * Applies a mutation locally and queues it, in one local transaction.
   * Throws `mutation/invalid` (400) or `space/full` (409) without writing
   * anything, and `sync/space-changed` (409) while the space is mismatched.
   */
  async mutate<N extends MutationName>(
    name: N,
    input: MutationInput<N>,
  ): Promise<MutationReceipt<N>> {
    this.#assertSameSpace()
    const parsed = parseMutationArgs(name, input)
    const clientId = this.#clientId
    const spaceId = this.#spaceId

    const receipt = await this.#storage.transaction(async (tx) => {
      const state = await tx.readState()
      if (state?.clientId !== clientId) throw replicaChanged()
      const visible = tx.visible(spaceId)
      const args = await completeMutation(visible, name, parsed)
      const applied = await applyLocalMutation(visible, name, args)
      const id = state.lastMutationId + 1
      await tx.appendOutbox({ id, name, args })
      await tx.writeState({ ...state, lastMutationId: id })
      return { id, name, args, applied }
    })

    const target = targetOf(receipt.args)
    if (receipt.applied && target) this.#emitChange([target])
    if (this.#started) this.#schedule(this.#options.debounceMs)
    return receipt
  }

  /**
   * Runs one round. While a round runs, the first further call queues one
   * round behind it and later calls join that queued round, so a call
   * always gets a round that started after it was made.
   */
  sync(): Promise<RoundResult> {
    return this.#queueRound(true)
  }

  /**
   * Queues a round (or joins the queued one). A round only the loop asked
   * for does not run if the loop was stopped while it waited: a pause must
   * hold back the writes made after it.
   */
  #queueRound(asked: boolean): Promise<RoundResult> {
    if (asked) this.#queuedRoundAsked = true
    if (this.#queuedRound) return this.#queuedRound
    const round = this.#enqueue(() => {
      this.#queuedRound = undefined
      const wanted = this.#queuedRoundAsked || this.#started
      this.#queuedRoundAsked = false
      if (!wanted) throw new LoopStopped()
      return this.#round({ transport: this.#transport })
    })
    this.#queuedRound = round
    return round
  }

  /**
   * Runs rounds until nothing is left to push or a round makes no progress,
   * at most `maxFlushRounds`, and returns every round's result. A failed
   * round rejects, as `sync()` does.
   */
  async flush(): Promise<RoundResult[]> {
    const results: RoundResult[] = []
    for (let i = 0; i < this.#options.maxFlushRounds; i++) {
      const result = await this.sync()
      results.push(result)
      if (!result.more) break
    }
    return results
  }

  /** Starts syncing in the background: a round now, then as needed. */
  start(): void {
    if (this.#started) return
    this.#started = true
    this.#schedule(0)
  }

  /**
   * Stops the background loop. A round already running completes; one the
   * loop queued behind it does not run.
   */
  stop(): void {
    this.#started = false
    this.#clearTimer()
  }

  /** Asks for a round soon (online, focus, a poke); ends a pause. */
  requestSync(): void {
    if (this.#started) this.#schedule(this.#options.debounceMs)
  }

  /**
   * The server merged this replica's space into `newSpaceId` (a guest who
   * signed in, ADR 012): the replica's queue now belongs there, under the
   * same client id and mutation ids. The replica takes the new space and
   * forgets its cursor and the old space's rows, keeping its outbox; the
   * next round pulls the new space from scratch, which confirms the space
   * for a client the server had not bound yet, and the round after it
   * pushes. Only for a merge the caller knows happened: anywhere else, a
   * change of space goes through `switchSpace`, which never carries a queue
   * over.
   */
  adoptMergedSpace(newSpaceId: string): Promise<void> {
    return this.#enqueue(async () => {
      const oldSpaceId = this.#spaceId
      if (oldSpaceId === newSpaceId) return
      await this.#storage.transaction(async (tx) => {
        const state = await tx.readState()
        if (state?.clientId !== this.#clientId) throw replicaChanged()
        await tx.visible(oldSpaceId).clear()
        await tx.base(oldSpaceId).clear()
        await tx.writeState({ ...state, spaceId: newSpaceId, cursor: null })
      })
      this.#spaceId = newSpaceId
      this.#mismatch = undefined
      this.#confirmedAt = undefined
      this.#failures = 0
      log.info(`took on space ${newSpaceId}, into which ${oldSpaceId} merged`)
      this.#emitChange('all')
      if (this.#started) this.#schedule(0)
    })
  }

  /**
   * Moves the replica to another space; see "A change of space" above.
   * Runs after any round in progress, and before any requested later.
   */
  switchSpace(
    newSpaceId: string,
    options: SwitchSpaceOptions,
  ): Promise<SwitchSpaceResult> {
    return this.#enqueue(() => this.#switchSpace(newSpaceId, options))
  }

  async #switchSpace(
    newSpaceId: string,
    { deliver }: SwitchSpaceOptions,
  ): Promise<SwitchSpaceResult> {
    const oldSpaceId = this.#spaceId
    let delivered = 0
    const refused: RefusedMutation[] = []
    let deliveryError: unknown

    if (deliver && (await this.pendingMutations()).length > 0) {
      const transport = deliver === true ? this.#transport : deliver
      this.#confirmedAt = undefined
      try {
        for (let i = 0; i < this.#options.maxFlushRounds; i++) {
          const result = await this.#round({ transport, delivering: true })
          delivered += result.acknowledged
          refused.push(...result.refused)
          if (!result.more) break
        }
      } catch (error) {
        deliveryError = error
      }
    }

    const clientId = this.#options.newClientId()
    const undelivered = await this.#storage.transaction(async (tx) => {
      const left = await tx.readOutbox()
      await tx.wipe()
      await tx.writeState(freshState(clientId, newSpaceId))
      return left
    })
    this.#clientId = clientId
    this.#spaceId = newSpaceId
    this.#mismatch = undefined
    this.#confirmedAt = undefined
    this.#failures = 0

    log.info(
      `switched from space ${oldSpaceId} to ${newSpaceId}: delivered ${delivered}, undelivered ${undelivered.length}`,
    )
    this.#emitChange('all')
    if (this.#started) this.#schedule(0)
    return { clientId, delivered, refused, undelivered, deliveryError }
  }

  async #round({ transport, delivering }: RoundOptions): Promise<RoundResult> {
    if (!delivering) this.#assertSameSpace()
    const started = Date.now()
    const clientId = this.#clientId
    const spaceId = this.#spaceId
    const confirmed =
      this.#confirmedAt !== undefined &&
      Date.now() - this.#confirmedAt <= CONFIRMATION_WINDOW_MS
    this.#confirmedAt = undefined

    const { state, outbox } = await this.#storage.transaction(async (tx) => ({
      state: await tx.readState(),
      outbox: await tx.readOutbox(),
    }))
    if (state?.clientId !== clientId) throw replicaChanged()

    const resetting =
      state.cursor === null || state.schemaVersion !== SCHEMA_VERSION
    const mayPush = !resetting && (state.lastAckedId > 0 || confirmed)
    const sent = mayPush ? outbox.slice(0, MAX_MUTATIONS_PER_PUSH) : []
    const request: SyncRequest = {
      protocol: PROTOCOL_VERSION,
      schemaVersion: SCHEMA_VERSION,
      clientId,
      cursor: resetting ? null : state.cursor,
      mutations: sent.map(({ id, name, args }) => ({
        id,
        name: name as MutationName,
        args,
      })),
      // Refusals of a push whose answer was lost come back on a round that
      // pushes nothing (a confirmation): the server needs where we are.
      ...(sent.length === 0 && outbox.length > 0
        ? { acknowledged: state.lastAckedId }
        : {}),
    }

    const response = await this.#send(transport, request)
    const answeredFor = parseCursor(response.cursor)?.spaceId ?? null
    if (answeredFor !== spaceId) {
      this.#strand(answeredFor)
      throw spaceChanged(spaceId, answeredFor)
    }

    const applied = await this.#storage.transaction((tx) =>
      this.#applyResponse(tx, spaceId, request, response, outbox),
    )
    if (sent.length === 0) this.#confirmedAt = Date.now()

    const { result, unreadable } = applied
    this.#logRound(result, response, Date.now() - started)
    const refusals = [...result.refused, ...unreadable]
    if (refusals.length > 0) this.#emit((l) => l.onRefused?.(refusals))
    if (result.changed === 'all' || result.changed.length > 0) {
      this.#emitChange(result.changed)
    }
    const timing = { startedAt: started, durationMs: Date.now() - started }
    this.#emit((listener) => listener.onRound?.(result, timing))
    return result
  }

  async #send(
    transport: SyncTransport,
    request: SyncRequest,
  ): Promise<SyncResponse> {
    try {
      return parseSyncResponse(await transport(request))
    } catch (error) {
      if (isAppError(error) && error.code === 'sync/client-space-mismatch') {
        this.#strand(null)
      }
      throw error
    }
  }

  /** Stores one answer; runs inside one local transaction. */
  async #applyResponse(
    tx: ReplicaTransaction,
    spaceId: string,
    request: SyncRequest,
    response: SyncResponse,
    sentFrom: OutboxEntry[],
  ): Promise<AppliedResponse> {
    const state = await tx.readState()
    if (state?.clientId !== request.clientId) throw replicaChanged()
    const outbox = await tx.readOutbox()
    const ack = response.lastMutationId
    const visible = tx.visible(spaceId)
    const base = tx.base(spaceId)

    // 1. The server's rows become the base.
    const full = response.kind === 'reset' || request.cursor === null
    const stale = !full && isBehind(response.cursor, state.cursor)
    const touched = new Set<string>()
    if (full) {
      const rows =
        response.kind === 'reset' ? response.avatars : response.upserts
      await base.clear()
      for (const avatar of rows) await base.put(avatar)
    } else if (!stale && response.kind === 'patch') {
      for (const avatar of response.upserts) {
        await base.put(avatar)
        touched.add(avatar.id)
      }
      await base.remove(response.deletes)
      for (const id of response.deletes) touched.add(id)
    }

    // 2. Acknowledged mutations leave the outbox.
    for (const entry of outbox) {
      const target = targetOf(entry.args)
      if (target) touched.add(target)
    }
    await tx.dropOutbox(ack)
    let pending = outbox.filter((entry) => entry.id > ack)
    let unreadable: RefusedMutation[] = []
    let lastMutationId = Math.max(state.lastMutationId, ack)
    let lastAckedId = Math.max(state.lastAckedId, ack)
    if (state.schemaVersion !== SCHEMA_VERSION) {
      ;({ pending, unreadable } = await renumber(tx, pending, ack))
      lastMutationId = ack + pending.length
      lastAckedId = ack
    } else if (ack < state.lastAckedId) {
      log.warn(
        `the server acknowledges mutation ${ack}, but earlier acknowledged ${state.lastAckedId}`,
      )
    }

    // 3. Visible rows: the base, with what is still pending on top.
    const scope = full ? 'all' : [...touched]
    const before = await rowsIn(visible, scope)
    await tx.restoreFromBase(spaceId, scope)
    for (const entry of pending) {
      const parsed = parseEntry(entry)
      if (parsed) await applyLocalMutation(visible, parsed.name, parsed.args)
    }
    const changedIds = diff(before, await rowsIn(visible, scope))

    await tx.writeState({
      ...state,
      cursor: stale ? state.cursor : response.cursor,
      lastMutationId,
      lastAckedId,
      schemaVersion: SCHEMA_VERSION,
    })

    const lastSent = request.mutations.at(-1)?.id ?? 0
    const progressed = request.mutations.length === 0 || ack >= lastSent
    if (!progressed) {
      log.warn(`pushed up to mutation ${lastSent}, acknowledged only ${ack}`)
    }
    const result: RoundResult = {
      kind: response.kind,
      pushed: request.mutations.length,
      acknowledged: outbox.length - outbox.filter((e) => e.id > ack).length,
      refused: response.refused.map((refusal) =>
        describeRefusal(refusal, [...sentFrom, ...outbox]),
      ),
      changed: full && changedIds.length > 0 ? 'all' : changedIds,
      pending: pending.length,
      more: pending.length > 0 && progressed,
    }
    return { result, unreadable }
  }

  #logRound(result: RoundResult, response: SyncResponse, ms: number) {
    const pulled =
      response.kind === 'reset'
        ? `reset (${response.reason}) to ${response.avatars.length} avatars`
        : `pulled ${response.upserts.length} upserts, ${response.deletes.length} deletes`
    const line =
      `round: pushed ${result.pushed}, acknowledged ${result.acknowledged}, ` +
      `refused ${result.refused.length}, ${pulled}, pending ${result.pending} in ${ms} ms`
    if (response.kind === 'reset') log.info(line)
    else log.debug(line)
  }

  #enqueue<T>(task: Task<T>): Promise<T> {
    const run = this.#lane.then(task, task)
    this.#lane = run.catch(() => {})
    return run
  }

  #assertSameSpace() {
    if (this.#mismatch) {
      throw spaceChanged(
        this.#mismatch.replicaSpaceId,
        this.#mismatch.viewerSpaceId,
      )
    }
  }

  #strand(viewerSpaceId: string | null) {
    const known = this.#mismatch
    this.#mismatch = {
      replicaSpaceId: this.#spaceId,
      viewerSpaceId: viewerSpaceId ?? known?.viewerSpaceId ?? null,
    }
    if (known) return
    log.warn(
      `the replica holds space ${this.#spaceId} but the viewer's space is ${viewerSpaceId ?? 'another one'}`,
    )
    const mismatch = this.#mismatch
    this.#emit((listener) => listener.onSpaceMismatch?.(mismatch))
  }

  // The background loop.

  #schedule(delayMs: number) {
    if (!this.#started) return
    const due = Date.now() + delayMs
    if (this.#timer !== undefined && this.#timerDue <= due) return
    this.#clearTimer()
    this.#timerDue = due
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      void this.#tick()
    }, delayMs)
  }

  #clearTimer() {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
  }

  async #tick() {
    // Several triggers (a write, a poke, the timer) can meet on one queued
    // round: the first tick to wait for it answers for its outcome, so a
    // failed round counts once.
    const round = this.#queueRound(false)
    if (round === this.#tickRound) return
    this.#tickRound = round
    try {
      const result = await round
      this.#failures = 0
      this.#schedule(result.more ? 0 : this.#options.pollIntervalMs)
    } catch (error) {
      if (error instanceof LoopStopped) return
      this.#failures++
      if (this.#mismatch) return
      if (isRetryable(error)) {
        const delay = this.retryDelay(this.#failures)
        log.warn(
          `round failed (${describe(error)}), retry ${this.#failures} in ${delay} ms`,
        )
        this.#schedule(delay)
        this.#emitFailure(error, delay)
        return
      }
      log.warn(`round refused for good (${describe(error)}), pausing`)
      this.#emitFailure(error, null)
      this.#emit((listener) => listener.onError?.(error))
    } finally {
      if (this.#tickRound === round) this.#tickRound = undefined
    }
  }

  /** The wait before retry number `failures`, with this engine's jitter. */
  retryDelay(failures: number): number {
    return backoffDelay(failures, this.#options.backoff, this.#options.random)
  }

  // Events.

  #emitChange(changed: ChangedIds) {
    this.#emit((listener) => listener.onChange?.(changed))
  }

  #emitFailure(error: unknown, retryInMs: number | null) {
    const failure = { failures: this.#failures, retryInMs, error }
    this.#emit((listener) => listener.onRoundFailed?.(failure))
  }

  #emit(call: (listener: SyncEngineListener) => void) {
    for (const listener of this.#listeners) {
      try {
        call(listener)
      } catch (error) {
        log.error('a sync listener threw', error)
      }
    }
  }
}

/** The loop's queued round, dropped because the loop stopped meanwhile. */
class LoopStopped extends Error {
  constructor() {
    super('the sync loop stopped before its round began')
    this.name = 'LoopStopped'
  }
}

function freshState(
  clientId: string,
  spaceId: string,
): ReplicaState & { spaceId: string } {
  return {
    clientId,
    spaceId,
    cursor: null,
    lastMutationId: 0,
    lastAckedId: 0,
    schemaVersion: SCHEMA_VERSION,
  }
}

/** True when `cursor` is older than `current` (same space assumed). */
function isBehind(cursor: string, current: string | null): boolean {
  if (current === null) return false
  const next = parseCursor(cursor)
  const held = parseCursor(current)
  if (!next || !held || next.spaceId !== held.spaceId) return false
  return next.version < held.version
}

function parseEntry(
  entry: OutboxEntry,
): { name: MutationName; args: MutationArgs<MutationName> } | undefined {
  try {
    const name = entry.name as MutationName
    return { name, args: parseMutationArgs(name, entry.args) }
  } catch {
    return undefined
  }
}

/**
 * After a reset across schema epochs: keeps the pending mutations this code
 * can still parse and numbers them on from the server's acknowledgement, so
 * the ids stay consecutive. Only safe on a round that pushed nothing.
 */
async function renumber(
  tx: ReplicaTransaction,
  pending: OutboxEntry[],
  ack: number,
): Promise<{ pending: OutboxEntry[]; unreadable: RefusedMutation[] }> {
  const kept: OutboxEntry[] = []
  const unreadable: RefusedMutation[] = []
  for (const entry of pending) {
    const parsed = parseEntry(entry)
    if (parsed) {
      kept.push({ id: ack + kept.length + 1, ...parsed })
    } else {
      unreadable.push({
        id: entry.id,
        name: entry.name,
        args: entry.args,
        code: 'sync/unreadable-mutation',
        message:
          'queued by an older version of the app and no longer understood',
      })
    }
  }
  await tx.dropOutbox(Number.MAX_SAFE_INTEGER)
  for (const entry of kept) await tx.appendOutbox(entry)
  return { pending: kept, unreadable }
}

async function rowsIn(
  store: ReturnType<ReplicaTransaction['visible']>,
  scope: readonly string[] | 'all',
): Promise<Map<string, Avatar>> {
  const rows = scope === 'all' ? await store.list() : await store.get(scope)
  return new Map(rows.map((row) => [row.id, row]))
}

function diff(
  before: Map<string, Avatar>,
  after: Map<string, Avatar>,
): string[] {
  const ids = new Set([...before.keys(), ...after.keys()])
  return [...ids].filter((id) => !sameAvatar(before.get(id), after.get(id)))
}

function sameAvatar(a: Avatar | undefined, b: Avatar | undefined): boolean {
  if (!a || !b) return a === b
  return (
    a.emoji === b.emoji &&
    a.name === b.name &&
    a.isActive === b.isActive &&
    a.position === b.position &&
    a.version === b.version
  )
}

function describeRefusal(
  refusal: SyncResponse['refused'][number],
  entries: OutboxEntry[],
): RefusedMutation {
  const entry = entries.find((candidate) => candidate.id === refusal.id)
  return {
    id: refusal.id,
    name: entry?.name ?? 'unknown',
    args: entry?.args ?? null,
    code: refusal.code,
    message: refusal.message,
    ...(refusal.field ? { field: refusal.field } : {}),
  }
}

function spaceChanged(replica: string, viewer: string | null): AppError {
  return new AppError(
    'sync/space-changed',
    `the replica holds space ${replica} but the viewer's space is ${viewer ?? 'another one'}: switch spaces first`,
    { status: 409 },
  )
}

function replicaChanged(): AppError {
  return new AppError(
    'sync/replica-changed',
    'the replica was reset by another engine; open it again',
    { status: 409 },
  )
}

function describe(error: unknown): string {
  if (isAppError(error)) return `${error.code}: ${error.message}`
  return error instanceof Error ? error.message : String(error)
}
