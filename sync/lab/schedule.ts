import type { MutationName } from '../mutations'
import { createRandom, type Random } from './random'

/**
 * What can go wrong with one round, injected by the lab:
 * - `cut`: the request never reaches the server (the network drops it);
 * - `lose`: the server commits the round, then the answer is lost;
 * - `server-fault`: the server fails inside the push transaction (a 5xx;
 *   nothing is committed). Only servers the lab runs itself can do this;
 *   elsewhere the round runs without a fault.
 */
export type Fault = 'none' | 'cut' | 'lose' | 'server-fault'

export const FAULTS: readonly Fault[] = ['none', 'cut', 'lose', 'server-fault']

/**
 * One step of a lab schedule. Steps are data, so a schedule can be printed,
 * replayed and shrunk by a property-based test. `pick` chooses the edit's
 * target among the avatars the client shows, and its new value.
 */
export type LabStep =
  | { kind: 'edit'; client: number; mutation: MutationName; pick: number }
  /** One round, unless the client is offline (then nothing happens). */
  | { kind: 'sync'; client: number; fault: Fault }
  /** The client stops syncing; it keeps editing. */
  | { kind: 'offline'; client: number }
  /** The client reconnects and runs rounds until it has nothing to push. */
  | { kind: 'online'; client: number }

export interface LabSchedule {
  clients: number
  steps: LabStep[]
}

/** How often each edit is drawn, in parts. */
export const EDIT_WEIGHTS: Readonly<Record<MutationName, number>> = {
  createAvatar: 16,
  renameAvatar: 20,
  setEmoji: 14,
  setActive: 12,
  moveAvatar: 20,
  deleteAvatar: 14,
}

/** How often each fault is drawn for a round, in parts. */
export const FAULT_WEIGHTS: Readonly<Record<Fault, number>> = {
  none: 64,
  cut: 12,
  lose: 16,
  'server-fault': 8,
}

export interface RandomScheduleOptions {
  clients: number
  steps: number
  seed: number
}

/** A schedule drawn from a seed: the same seed gives the same schedule. */
export function randomSchedule({
  clients,
  steps,
  seed,
}: RandomScheduleOptions): LabSchedule {
  const random = createRandom(seed)
  return {
    clients,
    steps: Array.from({ length: steps }, () => randomStep(random, clients)),
  }
}

function randomStep(random: Random, clients: number): LabStep {
  const client = random.int(clients)
  const roll = random.next()
  if (roll < 0.5) {
    return {
      kind: 'edit',
      client,
      mutation: weighted(random, EDIT_WEIGHTS),
      pick: random.int(2 ** 30),
    }
  }
  if (roll < 0.8) {
    return { kind: 'sync', client, fault: weighted(random, FAULT_WEIGHTS) }
  }
  return { kind: roll < 0.9 ? 'offline' : 'online', client }
}

function weighted<K extends string>(
  random: Random,
  weights: Readonly<Record<K, number>>,
): K {
  const entries = Object.entries(weights) as [K, number][]
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0)
  let roll = random.next() * total
  for (const [key, weight] of entries) {
    roll -= weight
    if (roll < 0) return key
  }
  return entries.at(-1)![0]
}

/** A one-line description of a step, for traces. */
export function describeStep(step: LabStep, label: string): string {
  switch (step.kind) {
    case 'edit':
      return `${label} ${step.mutation}`
    case 'sync':
      return step.fault === 'none'
        ? `${label} syncs`
        : `${label} syncs (${step.fault})`
    case 'offline':
      return `${label} goes offline`
    case 'online':
      return `${label} reconnects`
  }
}
