import type { SyncTransport } from '../client/transport'
import type { Avatar } from '../mutations'

/**
 * The server a lab run drives: one space, and a way for each headless
 * client to reach it. The in-process target calls the server's round
 * directly; the HTTP target goes through `POST /api/sync` of a Rollcall
 * (the lab's own small server, or any URL).
 */
export interface LabTarget {
  /** Where the run goes, for the report. */
  readonly label: string
  /** The space every client of the run edits. */
  readonly spaceId: string
  /** A transport for one more client of the space. */
  transport(): SyncTransport
  /** The space's live avatars as the server holds them, in roster order. */
  listAvatars(): Promise<Avatar[]>
  /** The last mutation id the server recorded for each client. */
  lastMutationIds(clientIds: readonly string[]): Promise<Map<string, number>>
  /** Server-side instruments, when the lab runs the server itself. */
  readonly probe?: LabProbe
  close(): Promise<void>
}

/** What the lab sees inside a server it runs itself. */
export interface LabProbe {
  /**
   * Makes the next round fail inside its push transaction, after its first
   * mutation, so nothing of it commits (a 5xx). A round with nothing new to
   * push is not affected; either way the fault is disarmed by that round.
   */
  failNextPush(): void
  /** Pushes that failed on purpose. */
  readonly faultsFired: number
  /**
   * The ids of `clientId`'s mutations processed by committed pushes (applied
   * or refused), in the order the server processed them.
   */
  processed(clientId: string): readonly number[]
}
