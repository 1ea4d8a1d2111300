import 'server-only'

import type { Database } from '../../db/connect.server'
import { runSync, type SyncOutcome } from '../server/sync.server'
import type { LabProbe } from './target'

/** The error a push fails with when the lab asked it to. */
export class InjectedServerFault extends Error {
  constructor() {
    super('the lab failed this push on purpose, inside its transaction')
    this.name = 'InjectedServerFault'
  }
}

export interface ProbeOptions {
  tombstoneHorizonSeconds?: number
}

/**
 * Runs the server's round (`runSync`) with the lab's instruments: a ledger
 * of every mutation a committed push processed, kept through the
 * `afterMutation` seam inside the push transaction, and a switch that makes
 * the next push fail before it commits.
 */
export class ServerProbe implements LabProbe {
  readonly #db: Database
  readonly #tombstoneHorizonSeconds: number
  readonly #processed = new Map<string, number[]>()
  #armed = false
  #faultsFired = 0

  constructor(db: Database, options: ProbeOptions = {}) {
    this.#db = db
    this.#tombstoneHorizonSeconds =
      options.tombstoneHorizonSeconds ?? 30 * 24 * 3600
  }

  get faultsFired(): number {
    return this.#faultsFired
  }

  failNextPush(): void {
    this.#armed = true
  }

  processed(clientId: string): readonly number[] {
    return this.#processed.get(clientId) ?? []
  }

  /** One round for `spaceId`, as the route runs it. */
  async run(spaceId: string, body: unknown): Promise<SyncOutcome> {
    const fail = this.#armed
    this.#armed = false
    const seen: number[] = []
    const outcome = await runSync(this.#db, spaceId, body, {
      tombstoneHorizonSeconds: this.#tombstoneHorizonSeconds,
      afterMutation: async (mutationId) => {
        if (fail) {
          this.#faultsFired++
          throw new InjectedServerFault()
        }
        seen.push(mutationId)
      },
    })
    // Only now is the push known to have committed. (A pull failing after
    // a committed push would hide it from the ledger; the run then fails
    // loudly rather than quietly.)
    if (seen.length > 0) {
      const clientId = (body as { clientId: string }).clientId
      const ledger = this.#processed.get(clientId) ?? []
      ledger.push(...seen)
      this.#processed.set(clientId, ledger)
    }
    return outcome
  }
}
