import { AppError, isAppError } from '../../lib/errors'
import { createLogger } from '../../lib/logger'
import type { RefusedMutation, RoundResult } from '../client/engine'
import { SyncEngine } from '../client/engine'
import { SyncTransportError, type SyncTransport } from '../client/transport'
import { type Avatar, type MutationName, mutationNames } from '../mutations'
import { positionAfter, positionBetween } from '../position'
import {
  parseCursor,
  PROTOCOL_VERSION,
  SCHEMA_VERSION,
  type SyncRequest,
  type SyncResponse,
} from '../protocol'
import { ReferenceModel } from './model'
import { type LabReplica, labReplicas, type ReplicaKind } from './replicas'
import {
  describeStep,
  type Fault,
  type LabSchedule,
  type LabStep,
} from './schedule'
import type { LabTarget } from './target'

const log = createLogger('lab')

/** How two clients' edits of one avatar met, worst first. */
export const CONFLICT_KINDS = [
  'delete vs delete',
  'edit vs delete',
  'move vs move',
  'same field',
  'different fields',
] as const

export type ConflictKind = (typeof CONFLICT_KINDS)[number]

export interface LabOptions {
  target: LabTarget
  schedule: LabSchedule
  /** Each client's storage: a kind, or a function that opens one. */
  replicas: ReplicaKind | (() => Promise<LabReplica>)
  /** Avatars the first client creates, and everyone pulls, before the schedule. */
  initialAvatars?: number
  /** Makes avatar and client ids (random UUIDs by default). */
  newId?: () => string
  /** Receives one line per step and per notable event. */
  trace?: (line: string) => void
  /** Passes over every client in the final phase before giving up. */
  maxSettlePasses?: number
}

export interface LabCheck {
  name: string
  ok: boolean
  /** Held, but with a known gap worth seeing. */
  warning?: string
  /** What was wrong, when it failed; what was compared, when it held. */
  detail: string
}

export interface LabReport {
  target: string
  clients: number
  steps: number
  /** Mutations the clients queued (the seed avatars included). */
  mutations: number
  mutationsByKind: Record<MutationName, number>
  /** Mutations a client's own replica refused before queueing, by code. */
  rejectedLocally: Record<string, number>
  /** Mutations touching an avatar another client changed unseen. */
  conflicts: number
  conflictsByKind: Record<ConflictKind, number>
  /** Refusals the server reported to clients, by code. */
  refusals: Record<string, number>
  rounds: {
    /** Rounds a client started (every transport call). */
    total: number
    /** Rounds the server answered (whether or not the answer arrived). */
    answered: number
    /** Requests dropped before reaching the server. */
    cut: number
    /** Answers dropped after the server committed. */
    lost: number
    /** Pushes failed inside the server's transaction. */
    serverFaults: number
    resets: number
  }
  /** Passes over all clients the final phase needed to go quiet. */
  settlePasses: number
  /** Avatars on the server at the end. */
  avatars: number
  checks: LabCheck[]
  /** Problems found while running (a failed round, a wrong answer). */
  failures: string[]
  passed: boolean
  ms: number
}

/**
 * Drives `schedule.clients` headless clients (SyncEngines, each on its own
 * replica) through the schedule against `target`, then brings everyone
 * online and syncs until a whole pass over the clients pushes nothing, and
 * checks that they converged:
 *
 * - every replica shows exactly the server's roster (ids, fields, order,
 *   versions), and every outbox is empty;
 * - each client's acknowledged mutations add up to the mutations it made,
 *   and the server's last mutation id for it is its last id;
 * - with a probe, the server processed each (client, id) exactly once in
 *   committed pushes;
 * - the server's roster equals a replay of the committed pushes by an
 *   independent model of the conflict policy (see ReferenceModel), whose
 *   refusals are exactly the ones the clients were told about.
 *
 * Only one round is ever in flight, so the order the server answered in is
 * the order it committed in.
 */
export async function runLab(options: LabOptions): Promise<LabReport> {
  const run = new LabRun(options)
  try {
    return await run.run()
  } finally {
    await run.close()
  }
}

interface LabClient {
  index: number
  label: string
  engine: SyncEngine
  replica: LabReplica
  online: boolean
  /** The fault the client's next round suffers (consumed by the wire). */
  fault: Fault
  /** Mutations queued; ids run 1..made. */
  made: number
  acknowledged: number
  /** Clock of the last answer the client received and applied. */
  pulledAt: number
  /** Clock of the last answer the server gave this client. */
  answeredAt: number
  refusals: RefusedMutation[]
  /** The last request the server answered for this client, and its answer. */
  answered?: { request: SyncRequest; response: SyncResponse }
  /** Highest id acknowledged by an answer the client applied. */
  ackedThrough: number
  /**
   * Ids acknowledged by a round that did not carry them (a pull-only round
   * after the answer to their push was lost): their refusals, if any, come
   * back with no round, since the server returns refusals only for the ids
   * a request carries.
   */
  ackedUnsent: Set<number>
}

interface Touch {
  client: number
  name: MutationName
  /** Clock at which the server committed it; unset while it is queued. */
  committedAt?: number
}

class LabRun {
  readonly #options: Required<Omit<LabOptions, 'trace'>> &
    Pick<LabOptions, 'trace'>
  readonly #target: LabTarget
  readonly #clients: LabClient[] = []
  #model: ReferenceModel | undefined
  readonly #started = performance.now()
  #clock = 0
  /** Clock of the last round that committed a mutation. */
  #lastCommitAt = 0
  #names = 0

  readonly #touches = new Map<string, Touch[]>()
  readonly #touchOf = new Map<string, Touch>()
  readonly #failures: string[] = []
  readonly #report: Omit<
    LabReport,
    'checks' | 'failures' | 'passed' | 'ms' | 'avatars'
  >

  constructor(options: LabOptions) {
    this.#options = {
      ...options,
      initialAvatars: options.initialAvatars ?? 4,
      newId: options.newId ?? (() => crypto.randomUUID()),
      maxSettlePasses: options.maxSettlePasses ?? 8,
    }
    this.#target = options.target
    this.#report = {
      target: options.target.label,
      clients: options.schedule.clients,
      steps: options.schedule.steps.length,
      mutations: 0,
      mutationsByKind: Object.fromEntries(
        mutationNames.map((name) => [name, 0]),
      ) as Record<MutationName, number>,
      rejectedLocally: {},
      conflicts: 0,
      conflictsByKind: Object.fromEntries(
        CONFLICT_KINDS.map((kind) => [kind, 0]),
      ) as Record<ConflictKind, number>,
      refusals: {},
      rounds: {
        total: 0,
        answered: 0,
        cut: 0,
        lost: 0,
        serverFaults: 0,
        resets: 0,
      },
      settlePasses: 0,
    }
  }

  async run(): Promise<LabReport> {
    this.#model = await this.#initialModel()
    await this.#openClients()
    await this.#seed()

    for (const [index, step] of this.#options.schedule.steps.entries()) {
      await this.#step(index, step)
    }

    await this.#settle()
    const { checks, avatars } = await this.#check()
    this.#report.rounds.serverFaults = this.#target.probe?.faultsFired ?? 0
    const passed = this.#failures.length === 0 && checks.every((c) => c.ok)
    return {
      ...this.#report,
      avatars,
      checks,
      failures: [...this.#failures],
      passed,
      ms: Math.round(performance.now() - this.#started),
    }
  }

  async close() {
    for (const client of this.#clients) await client.replica.close()
  }

  // Setting up.

  /** The model starts from the space as a pull-only round finds it. */
  async #initialModel(): Promise<ReferenceModel> {
    const response = await this.#target.transport()({
      protocol: PROTOCOL_VERSION,
      schemaVersion: SCHEMA_VERSION,
      clientId: this.#options.newId(),
      cursor: null,
      mutations: [],
    })
    const avatars =
      response.kind === 'reset' ? response.avatars : response.upserts
    return new ReferenceModel({
      avatars,
      version: parseCursor(response.cursor)?.version ?? 0,
    })
  }

  async #openClients() {
    const { replicas, schedule, newId } = this.#options
    const open =
      typeof replicas === 'function' ? replicas : labReplicas(replicas)
    for (let index = 0; index < schedule.clients; index++) {
      const replica = await open()
      const client = {
        index,
        label: clientLabel(index),
        replica,
        online: true,
        fault: 'none',
        made: 0,
        acknowledged: 0,
        pulledAt: 0,
        answeredAt: 0,
        refusals: [],
        ackedThrough: 0,
        ackedUnsent: new Set(),
      } as Omit<LabClient, 'engine'> as LabClient
      client.engine = await SyncEngine.open({
        storage: replica.storage,
        transport: this.#wire(client, this.#target.transport()),
        spaceId: this.#target.spaceId,
        newClientId: newId,
      })
      client.engine.subscribe({
        onRefused: (refused) => client.refusals.push(...refused),
      })
      this.#clients.push(client)
    }
  }

  /** The first client creates a few avatars and everyone pulls them. */
  async #seed() {
    const first = this.#clients[0]
    if (!first) return
    for (let i = 0; i < this.#options.initialAvatars; i++) {
      await this.#edit(first, 'createAvatar', i)
    }
    for (const client of this.#clients) await this.#settleClient(client)
  }

  // The schedule.

  async #step(index: number, step: LabStep) {
    const client = this.#clients[step.client % this.#clients.length]!
    const line = `#${index + 1} ${describeStep(step, client.label)}`
    switch (step.kind) {
      case 'edit':
        this.#trace(
          `${line}: ${await this.#edit(client, step.mutation, step.pick)}`,
        )
        return
      case 'sync': {
        if (!client.online) {
          this.#trace(`${line}: offline, no round`)
          return
        }
        const result = await this.#round(client, step.fault)
        this.#trace(`${line}: ${describeRound(result)}`)
        return
      }
      case 'offline':
        client.online = false
        this.#trace(line)
        return
      case 'online': {
        client.online = true
        const pushed = await this.#settleClient(client)
        this.#trace(`${line}: pushed ${pushed}`)
        return
      }
    }
  }

  /** Makes one local edit; returns what it did, for the trace. */
  async #edit(
    client: LabClient,
    wanted: MutationName,
    pick: number,
  ): Promise<string> {
    const visible = await client.engine.listAvatars()
    const target = visible[pick % Math.max(visible.length, 1)]
    const name = target ? wanted : 'createAvatar'
    let receipt: { id: number; args: { id: string } }
    try {
      receipt = await this.#mutate(client, name, pick, visible, target)
    } catch (error) {
      if (isAppError(error) && error.status < 500) {
        const counts = this.#report.rejectedLocally
        counts[error.code] = (counts[error.code] ?? 0) + 1
        return `rejected locally (${error.code})`
      }
      throw error
    }

    client.made++
    this.#report.mutations++
    this.#report.mutationsByKind[name]++
    if (receipt.id !== client.made) {
      this.#fail(
        `${client.label}'s mutation got id ${receipt.id}, expected ${client.made}`,
      )
    }
    this.#clock++
    if (name === 'createAvatar') return `created ${receipt.args.id.slice(0, 8)}`
    const conflict = this.#touch(client, name, receipt.args.id, receipt.id)
    const what = `${name} ${receipt.args.id.slice(0, 8)}`
    return conflict ? `${what}, conflict: ${conflict}` : what
  }

  #mutate(
    client: LabClient,
    name: MutationName,
    pick: number,
    visible: Avatar[],
    target: Avatar | undefined,
  ) {
    const { engine } = client
    const id = target?.id ?? ''
    switch (name) {
      case 'createAvatar':
        return engine.mutate('createAvatar', {
          id: this.#options.newId(),
          emoji: EMOJIS[pick % EMOJIS.length]!,
          name: this.#name(client),
        })
      case 'renameAvatar':
        return engine.mutate('renameAvatar', { id, name: this.#name(client) })
      case 'setEmoji':
        return engine.mutate('setEmoji', {
          id,
          emoji: EMOJIS[(pick >>> 4) % EMOJIS.length]!,
        })
      case 'setActive':
        return engine.mutate('setActive', { id, isActive: !target?.isActive })
      case 'moveAvatar':
        return engine.mutate('moveAvatar', {
          id,
          position: newPosition(visible, pick),
        })
      case 'deleteAvatar':
        return engine.mutate('deleteAvatar', { id })
    }
  }

  /** A name no other mutation of the run uses, so each write is traceable. */
  #name(client: LabClient): string {
    return `${client.label}-${++this.#names}`
  }

  /**
   * Records that `client` touched `avatarId`, and returns the kind of
   * conflict when another client touched it in a way this client has not
   * seen: still queued, or committed after this client's last pull.
   */
  #touch(
    client: LabClient,
    name: MutationName,
    avatarId: string,
    mutationId: number,
  ): ConflictKind | undefined {
    const touches = this.#touches.get(avatarId) ?? []
    const unseen = touches.filter(
      (touch) =>
        touch.client !== client.index &&
        (touch.committedAt === undefined ||
          touch.committedAt > client.pulledAt),
    )
    const touch: Touch = { client: client.index, name }
    touches.push(touch)
    this.#touches.set(avatarId, touches)
    this.#touchOf.set(`${client.engine.clientId}:${mutationId}`, touch)
    if (unseen.length === 0) return undefined

    const kind = CONFLICT_KINDS.find((k) =>
      unseen.some((other) => conflictKind(name, other.name) === k),
    )!
    this.#report.conflicts++
    this.#report.conflictsByKind[kind]++
    return kind
  }

  // Rounds.

  /**
   * The client's transport as the lab sees it: the wire may cut the request
   * or lose the answer, and every answer the server gave is replayed in the
   * model before the client sees it.
   */
  #wire(client: LabClient, inner: SyncTransport): SyncTransport {
    return async (request) => {
      const rounds = this.#report.rounds
      rounds.total++
      const fault = client.fault
      client.fault = 'none'
      if (fault === 'cut') {
        rounds.cut++
        throw injected(
          'lab/network-cut',
          'the request never reached the server',
        )
      }
      const response = await inner(request)
      this.#observe(client, request, response)
      if (fault === 'lose') {
        rounds.lost++
        throw injected('lab/response-lost', 'the answer was lost after commit')
      }
      return response
    }
  }

  #observe(client: LabClient, request: SyncRequest, response: SyncResponse) {
    const rounds = this.#report.rounds
    rounds.answered++
    if (response.kind === 'reset') rounds.resets++
    const { committed, problems } = this.#model!.commit(request, response)
    this.#clock++
    client.answeredAt = this.#clock
    client.answered = { request, response }
    if (committed.length > 0) this.#lastCommitAt = this.#clock
    for (const mutation of committed) {
      const touch = this.#touchOf.get(`${mutation.clientId}:${mutation.id}`)
      if (touch) touch.committedAt = this.#clock
    }
    for (const problem of problems) this.#fail(`${client.label}: ${problem}`)
  }

  /** One round with `fault`; undefined when it failed (as it may). */
  async #round(
    client: LabClient,
    fault: Fault,
  ): Promise<RoundResult | undefined> {
    const probe = this.#target.probe
    const firedBefore = probe?.faultsFired ?? 0
    if (fault === 'server-fault') probe?.failNextPush()
    client.fault = fault === 'server-fault' ? 'none' : fault
    try {
      const result = await client.engine.sync()
      client.acknowledged += result.acknowledged
      client.pulledAt = client.answeredAt
      this.#noteAcknowledged(client)
      for (const refusal of result.refused) {
        const counts = this.#report.refusals
        counts[refusal.code] = (counts[refusal.code] ?? 0) + 1
      }
      return result
    } catch (error) {
      const fired = (probe?.faultsFired ?? 0) > firedBefore
      if (!isInjected(error, fault, fired)) {
        this.#fail(`${client.label}'s round failed: ${describe(error)}`)
      }
      return undefined
    } finally {
      client.fault = 'none'
    }
  }

  /** Records which ids the round just applied acknowledged unsent. */
  #noteAcknowledged(client: LabClient) {
    const { request, response } = client.answered!
    const carried = new Set(request.mutations.map((mutation) => mutation.id))
    for (
      let id = client.ackedThrough + 1;
      id <= response.lastMutationId;
      id++
    ) {
      if (!carried.has(id)) client.ackedUnsent.add(id)
    }
    client.ackedThrough = Math.max(client.ackedThrough, response.lastMutationId)
  }

  /** Rounds without faults until the client has nothing left to push. */
  async #settleClient(client: LabClient): Promise<number> {
    let pushed = 0
    for (let i = 0; i < 20; i++) {
      const result = await this.#round(client, 'none')
      if (!result) break
      pushed += result.pushed
      if (!result.more) break
    }
    return pushed
  }

  /**
   * Everyone online; passes over the clients, each one that has something
   * to push or has not pulled since the last commit running rounds, until a
   * pass finds none. Rounds are one at a time, so a client whose last
   * answer came after the last commit has seen every write.
   */
  async #settle() {
    for (const client of this.#clients) client.online = true
    for (let pass = 1; pass <= this.#options.maxSettlePasses; pass++) {
      this.#report.settlePasses = pass
      let behind = 0
      for (const client of this.#clients) {
        const pending = (await client.engine.pendingMutations()).length
        if (pending === 0 && client.pulledAt >= this.#lastCommitAt) continue
        behind++
        await this.#settleClient(client)
      }
      this.#trace(`settle pass ${pass}: ${behind} client(s) behind`)
      if (behind === 0) return
    }
    this.#fail(
      `still behind after ${this.#options.maxSettlePasses} passes over every client`,
    )
  }

  // Checks.

  async #check(): Promise<{ checks: LabCheck[]; avatars: number }> {
    const checks: LabCheck[] = []
    const check = (name: string, problems: string[], held: string) =>
      checks.push({
        name,
        ok: problems.length === 0,
        detail: problems.length === 0 ? held : problems.slice(0, 5).join('; '),
      })
    const server = await this.#target.listAvatars()
    const clients = this.#clients

    const replicaProblems: string[] = []
    const outboxProblems: string[] = []
    for (const client of clients) {
      const difference = firstDifference(
        await client.engine.listAvatars(),
        server,
      )
      if (difference) replicaProblems.push(`${client.label}: ${difference}`)
      const pending = (await client.engine.pendingMutations()).length
      if (pending > 0) outboxProblems.push(`${client.label} holds ${pending}`)
    }
    check(
      'every replica equals the server',
      replicaProblems,
      `${clients.length} replicas × ${server.length} avatars: ids, fields, order, versions`,
    )
    check('every outbox is empty', outboxProblems, 'nothing pending')

    const ackProblems: string[] = []
    const recorded = await this.#target.lastMutationIds(
      clients.map((client) => client.engine.clientId),
    )
    for (const client of clients) {
      const state = await client.engine.readState()
      if (client.acknowledged !== client.made) {
        ackProblems.push(
          `${client.label} made ${client.made}, ${client.acknowledged} acknowledged`,
        )
      }
      if (state.lastMutationId !== client.made) {
        ackProblems.push(
          `${client.label}'s last id is ${state.lastMutationId}, made ${client.made}`,
        )
      }
      const last = recorded.get(client.engine.clientId) ?? 0
      if (last !== client.made) {
        ackProblems.push(
          `the server recorded ${last} as ${client.label}'s last id, made ${client.made}`,
        )
      }
    }
    check(
      'every mutation acknowledged, last ids recorded',
      ackProblems,
      'acknowledged = made = server last_mutation_id, per client',
    )

    const probe = this.#target.probe
    if (probe) {
      const onceProblems: string[] = []
      for (const client of clients) {
        const problem = exactlyOnce(
          probe.processed(client.engine.clientId),
          client.made,
        )
        if (problem) onceProblems.push(`${client.label}: ${problem}`)
      }
      check(
        'each mutation processed exactly once (server ledger)',
        onceProblems,
        `ledger of committed pushes holds ids 1..n once per client`,
      )
    }

    const model = this.#model!
    const modelDifference = firstDifference(server, model.avatars())
    check(
      'the server equals a replay of the committed pushes',
      modelDifference ? [`server vs replay: ${modelDifference}`] : [],
      `arrival order, changed fields only, deletes win, one version per push`,
    )
    const refusals = compareRefusals(clients, model)
    check(
      'refusals match the replay',
      refusals.problems,
      `${model.refusals().length} refusals, each reported once to its client`,
    )
    if (refusals.unreported.length > 0) {
      checks.at(-1)!.warning =
        `${refusals.unreported.length} refusal(s) never reported to the client: ` +
        `acknowledged by a pull-only round after the answer to their push was lost ` +
        `(${refusals.unreported.join(', ')})`
    }

    return { checks, avatars: server.length }
  }

  #fail(problem: string) {
    log.debug(`problem: ${problem}`)
    this.#trace(`PROBLEM ${problem}`)
    this.#failures.push(problem)
  }

  #trace(line: string) {
    this.#options.trace?.(line)
  }
}

const EMOJIS = ['🦊', '🐺', '🦉', '🐱', '🐶', '🐝', '🐢', '🦔'] as const

/** Fixed keys make ties (broken by id); the rest land between neighbours. */
const TIE_KEYS = ['1', 'i', 'r'] as const

function newPosition(visible: readonly Avatar[], pick: number): string {
  if (pick % 3 === 0) return TIE_KEYS[(pick >>> 2) % TIE_KEYS.length]!
  const at = (pick >>> 2) % (visible.length + 1)
  const before = visible[at - 1]?.position ?? null
  const after = visible[at]?.position ?? null
  if (before !== null && after !== null && before >= after) {
    return positionAfter(before)
  }
  return positionBetween(before, after)
}

function clientLabel(index: number): string {
  return index < 26 ? String.fromCharCode(65 + index) : `C${index + 1}`
}

function conflictKind(mine: MutationName, theirs: MutationName): ConflictKind {
  const mineDeletes = mine === 'deleteAvatar'
  const theirsDelete = theirs === 'deleteAvatar'
  if (mineDeletes && theirsDelete) return 'delete vs delete'
  if (mineDeletes || theirsDelete) return 'edit vs delete'
  if (mine !== theirs) return 'different fields'
  return mine === 'moveAvatar' ? 'move vs move' : 'same field'
}

function injected(code: string, message: string) {
  return new SyncTransportError(code, message, { status: 503, retryable: true })
}

function isInjected(error: unknown, fault: Fault, fired: boolean): boolean {
  if (!isAppError(error)) return false
  if (fault === 'cut') return error.code === 'lab/network-cut'
  if (fault === 'lose') return error.code === 'lab/response-lost'
  return fired && error.status === 500
}

function describeRound(result: RoundResult | undefined): string {
  if (!result) return 'failed'
  const refused = result.refused.map((r) => r.code).join(', ')
  return (
    `${result.kind}, pushed ${result.pushed}, acknowledged ${result.acknowledged}` +
    (refused ? `, refused ${refused}` : '') +
    `, pending ${result.pending}`
  )
}

function describe(error: unknown): string {
  if (error instanceof AppError) return `${error.code}: ${error.message}`
  return error instanceof Error
    ? `${error.name}: ${error.message}`
    : String(error)
}

function row(avatar: Avatar): string {
  return JSON.stringify([
    avatar.id,
    avatar.name,
    avatar.emoji,
    avatar.isActive,
    avatar.position,
    avatar.version,
  ])
}

/** Where two rosters first differ, or undefined when they are equal. */
function firstDifference(
  actual: readonly Avatar[],
  expected: readonly Avatar[],
): string | undefined {
  for (let i = 0; i < Math.max(actual.length, expected.length); i++) {
    const a = actual[i] ? row(actual[i]!) : 'nothing'
    const b = expected[i] ? row(expected[i]!) : 'nothing'
    if (a !== b) return `at ${i}, ${a} instead of ${b}`
  }
  return undefined
}

/** Ids 1..made, each once, or what is wrong with them. */
function exactlyOnce(ids: readonly number[], made: number): string | undefined {
  const counts = new Map<number, number>()
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1)
  const twice = [...counts].filter(([, n]) => n > 1).map(([id]) => id)
  if (twice.length > 0) return `processed more than once: ${twice.join(', ')}`
  const missing: number[] = []
  for (let id = 1; id <= made; id++) if (!counts.has(id)) missing.push(id)
  if (missing.length > 0) return `never processed: ${missing.join(', ')}`
  const extra = [...counts.keys()].filter((id) => id > made)
  if (extra.length > 0) return `processed unknown ids: ${extra.join(', ')}`
  return undefined
}

/**
 * Compares the refusals clients were told about with the replay's. A
 * refusal missing because a pull-only round acknowledged its mutation is a
 * known gap of the protocol (the server returns refusals only for the ids
 * a request carries), reported apart from outright mismatches.
 */
function compareRefusals(
  clients: readonly LabClient[],
  model: ReferenceModel,
): { problems: string[]; unreported: string[] } {
  const byId = new Map(clients.map((c) => [c.engine.clientId, c]))
  const key = (clientId: string, id: number, code: string) =>
    `${byId.get(clientId)?.label ?? clientId.slice(0, 8)}#${id}:${code}`
  const told = clients.flatMap((client) =>
    client.refusals.map((r) => key(client.engine.clientId, r.id, r.code)),
  )
  const problems: string[] = []
  const unreported: string[] = []
  const duplicates = told.filter((k, i) => told.indexOf(k) !== i)
  if (duplicates.length > 0) {
    problems.push(`reported twice: ${duplicates.join(', ')}`)
  }
  const missing: string[] = []
  for (const refusal of model.refusals()) {
    const k = key(refusal.clientId, refusal.id, refusal.code)
    if (told.includes(k)) continue
    const unsent = byId.get(refusal.clientId)?.ackedUnsent.has(refusal.id)
    if (unsent) unreported.push(k)
    else missing.push(k)
  }
  if (missing.length > 0) problems.push(`never reported: ${missing.join(', ')}`)
  const expected = new Set(
    model.refusals().map((r) => key(r.clientId, r.id, r.code)),
  )
  const unexpected = told.filter((k) => !expected.has(k))
  if (unexpected.length > 0) {
    problems.push(`not refused by the replay: ${unexpected.join(', ')}`)
  }
  return { problems, unreported }
}
