import { type Avatar, compareAvatars } from '../mutations'
import type {
  AvatarStore,
  OutboxEntry,
  ReplicaState,
  ReplicaStorage,
  ReplicaTransaction,
} from './storage'

interface Tables {
  state: ReplicaState | undefined
  outbox: OutboxEntry[]
  /** Keyed by space id, then avatar id. */
  visible: Map<string, Map<string, Avatar>>
  base: Map<string, Map<string, Avatar>>
}

/**
 * A replica kept in memory: for headless clients that need no persistence
 * and for fast tests. Each transaction works on a copy that replaces the
 * tables only when the work succeeds, so a failure leaves nothing behind.
 */
export function createMemoryStorage(): ReplicaStorage {
  let tables: Tables = {
    state: undefined,
    outbox: [],
    visible: new Map(),
    base: new Map(),
  }
  let queue: Promise<unknown> = Promise.resolve()

  return {
    transaction<T>(work: (tx: ReplicaTransaction) => Promise<T>) {
      const run = async () => {
        const draft = structuredClone(tables)
        const result = await work(memoryTransaction(draft))
        tables = draft
        return result
      }
      const next = queue.then(run, run)
      queue = next.catch(() => {})
      return next
    },
  }
}

function memoryTransaction(tables: Tables): ReplicaTransaction {
  const table = (
    which: 'visible' | 'base',
    spaceId: string,
  ): Map<string, Avatar> => {
    let rows = tables[which].get(spaceId)
    if (!rows) {
      rows = new Map()
      tables[which].set(spaceId, rows)
    }
    return rows
  }

  return {
    async readState() {
      return tables.state && { ...tables.state }
    },
    async writeState(state) {
      tables.state = { ...state }
    },
    async readOutbox() {
      return tables.outbox.map((entry) => structuredClone(entry))
    },
    async appendOutbox(entry) {
      if (tables.outbox.some((queued) => queued.id === entry.id)) {
        throw new Error(`outbox already holds mutation ${entry.id}`)
      }
      tables.outbox.push(structuredClone(entry))
      tables.outbox.sort((a, b) => a.id - b.id)
    },
    async dropOutbox(throughId) {
      tables.outbox = tables.outbox.filter((entry) => entry.id > throughId)
    },
    visible: (spaceId) => memoryStore(table('visible', spaceId)),
    base: (spaceId) => memoryStore(table('base', spaceId)),
    async restoreFromBase(spaceId, ids) {
      const visible = table('visible', spaceId)
      const base = table('base', spaceId)
      const targets = ids === 'all' ? [...visible.keys(), ...base.keys()] : ids
      for (const id of targets) {
        const row = base.get(id)
        if (row) visible.set(id, { ...row })
        else visible.delete(id)
      }
    },
    async wipe() {
      tables.state = undefined
      tables.outbox = []
      tables.visible.clear()
      tables.base.clear()
    },
  }
}

function memoryStore(rows: Map<string, Avatar>): AvatarStore {
  return {
    async list() {
      return [...rows.values()].map((row) => ({ ...row })).sort(compareAvatars)
    },
    async get(ids) {
      return ids.flatMap((id) => {
        const row = rows.get(id)
        return row ? [{ ...row }] : []
      })
    },
    async count() {
      return rows.size
    },
    async lastPosition() {
      let last: string | null = null
      for (const row of rows.values()) {
        if (last === null || row.position > last) last = row.position
      }
      return last
    },
    async put(avatar) {
      rows.set(avatar.id, { ...avatar })
    },
    async update(id, fields) {
      const row = rows.get(id)
      if (row) rows.set(id, { ...row, ...fields })
    },
    async remove(ids) {
      for (const id of ids) rows.delete(id)
    },
    async clear() {
      rows.clear()
    },
  }
}
