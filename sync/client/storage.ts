import type { Avatar, MutationName } from '../mutations'

/**
 * The small storage interface the sync engine runs on. The engine never
 * speaks SQL: one implementation sits on Drizzle over PGlite (the browser
 * replica and headless clients), another keeps everything in memory.
 *
 * A replica holds one space at a time, in two avatar tables: `visible` is
 * what readers see (the server's rows with the pending mutations applied on
 * top), `base` is the last state the server sent.
 */
export interface ReplicaStorage {
  /**
   * Runs `work` atomically: every write inside it lands, or none does when
   * it throws. Transactions never interleave with one another.
   */
  transaction<T>(work: (tx: ReplicaTransaction) => Promise<T>): Promise<T>
}

export interface ReplicaTransaction {
  readState(): Promise<ReplicaState | undefined>
  writeState(state: ReplicaState): Promise<void>

  /** Pending mutations in id order. */
  readOutbox(): Promise<OutboxEntry[]>
  appendOutbox(entry: OutboxEntry): Promise<void>
  /** Removes the entries with an id up to and including `id`. */
  dropOutbox(throughId: number): Promise<void>

  visible(spaceId: string): AvatarStore
  base(spaceId: string): AvatarStore
  /**
   * Makes `visible` equal `base` for the given avatar ids (or all of them):
   * rows present in `base` are copied over, the others removed.
   */
  restoreFromBase(
    spaceId: string,
    ids: readonly string[] | 'all',
  ): Promise<void>

  /** Removes every avatar of every space, the outbox and the state row. */
  wipe(): Promise<void>
}

/** One avatar table of one space. */
export interface AvatarStore {
  /** Every avatar, in roster order. */
  list(): Promise<Avatar[]>
  /** The avatars among `ids` that exist, in no particular order. */
  get(ids: readonly string[]): Promise<Avatar[]>
  count(): Promise<number>
  /** The greatest position in the table, or null when it is empty. */
  lastPosition(): Promise<string | null>
  /** Inserts the avatar, or replaces the one with its id. */
  put(avatar: Avatar): Promise<void>
  /** Changes some fields of an existing avatar; missing ids are ignored. */
  update(id: string, fields: AvatarFields): Promise<void>
  remove(ids: readonly string[]): Promise<void>
  clear(): Promise<void>
}

export type AvatarFields = Partial<
  Pick<Avatar, 'name' | 'emoji' | 'isActive' | 'position'>
>

/** The replica's one state row: who it is and how far it has synced. */
export interface ReplicaState {
  clientId: string
  spaceId: string | null
  /** The server's cursor as last received, or null before the first pull. */
  cursor: string | null
  /** Highest mutation id handed out locally. */
  lastMutationId: number
  /** Highest mutation id the server has applied or refused. */
  lastAckedId: number
  /** The schema epoch the replica's rows were written under. */
  schemaVersion: number
}

/** A local mutation waiting in the outbox for the server's answer. */
export interface OutboxEntry {
  id: number
  /** A mutation name; older replicas may hold names this code dropped. */
  name: MutationName | (string & {})
  args: unknown
}
