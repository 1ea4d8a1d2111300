import fc from 'fast-check'
import { afterAll, expect, it } from 'vitest'

import { type MutationName } from '@/sync/mutations'
import { createInProcessTarget } from '@/sync/lab/in-process.server'
import { formatReport } from '@/sync/lab/report'
import { type LabReport, runLab } from '@/sync/lab/runner'
import {
  EDIT_WEIGHTS,
  type Fault,
  FAULT_WEIGHTS,
  type LabSchedule,
  type LabStep,
} from '@/sync/lab/schedule'
import { describeEachEngine } from '@/tests/support/databases'

/**
 * Convergence, property-based: random schedules of three clients (each a
 * SyncEngine on an in-memory replica) editing shared avatars offline and
 * online, through cut requests, answers lost after the server committed,
 * pushes failed inside the server's transaction, and any order of rounds,
 * against the real server round (`runSync`) in process. After the final
 * sync every replica equals the server, and every mutation was applied
 * exactly once unless refused (see runLab for the checks).
 */

const CLIENTS = 3
/** Schedules per engine: 200 on PGlite in CI, fewer on a laptop. */
const RUNS = {
  pglite: process.env.CI ? 200 : 60,
  postgres: process.env.CI ? 40 : 20,
}

function weighted<K extends string>(
  weights: Readonly<Record<K, number>>,
): fc.Arbitrary<K> {
  return fc.oneof(
    ...(Object.entries(weights) as [K, number][]).map(([key, weight]) => ({
      weight,
      arbitrary: fc.constant(key),
    })),
  )
}

const client = fc.nat(CLIENTS - 1)

const step: fc.Arbitrary<LabStep> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record({
      kind: fc.constant('edit' as const),
      client,
      mutation: weighted<MutationName>(EDIT_WEIGHTS),
      pick: fc.nat(),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('sync' as const),
      client,
      fault: weighted<Fault>(FAULT_WEIGHTS),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('offline' as const), client }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('online' as const), client }),
  },
)

const schedule: fc.Arbitrary<LabSchedule> = fc
  .array(step, { minLength: 8, maxLength: 32, size: 'max' })
  .map((steps) => ({ clients: CLIENTS, steps }))

/** What the schedules exercised, summed, so the property is not vacuous. */
interface Totals {
  runs: number
  mutations: number
  conflicts: number
  refusals: number
  lost: number
  cut: number
  serverFaults: number
  offline: number
  ms: number
}

describeEachEngine('convergence of random schedules', (context, engine) => {
  const totals: Totals = {
    runs: 0,
    mutations: 0,
    conflicts: 0,
    refusals: 0,
    lost: 0,
    cut: 0,
    serverFaults: 0,
    offline: 0,
    ms: 0,
  }

  function add(report: LabReport, steps: readonly LabStep[]) {
    totals.runs++
    totals.mutations += report.mutations
    totals.conflicts += report.conflicts
    totals.refusals += Object.values(report.refusals).reduce((a, b) => a + b, 0)
    totals.lost += report.rounds.lost
    totals.cut += report.rounds.cut
    totals.serverFaults += report.rounds.serverFaults
    totals.offline += steps.filter((s) => s.kind === 'offline').length
    totals.ms += report.ms
  }

  afterAll(() => {
    console.info(
      `[convergence ${engine}] ${totals.runs} schedules, ${totals.mutations} mutations, ` +
        `${totals.conflicts} conflicts, ${totals.refusals} refusals, ${totals.lost} lost answers, ` +
        `${totals.cut} cut requests, ${totals.serverFaults} server faults in ${Math.round(totals.ms / 1000)} s`,
    )
  })

  it(`converges every replica on the server, each mutation applied once unless refused (${RUNS[engine]} schedules)`, async () => {
    await fc.assert(
      fc.asyncProperty(schedule, async (drawn) => {
        const report = await runLab({
          target: createInProcessTarget(context().database.db),
          schedule: drawn,
          replicas: 'memory',
          initialAvatars: 3,
        })
        add(report, drawn.steps)
        if (!report.passed) throw new Error(`\n${formatReport(report)}`)
      }),
      // Shrinking a failure stops in time to report it within the test's
      // timeout; a run cut short by the limit fails the count below.
      { numRuns: RUNS[engine], skipAllAfterTimeLimit: 420_000 },
    )

    expect(totals.runs).toBeGreaterThanOrEqual(RUNS[engine])
    // The schedules did meet what they are meant to survive.
    expect(totals.conflicts).toBeGreaterThan(0)
    expect(totals.refusals).toBeGreaterThan(0)
    expect(totals.lost).toBeGreaterThan(0)
    expect(totals.cut).toBeGreaterThan(0)
    expect(totals.serverFaults).toBeGreaterThan(0)
    expect(totals.offline).toBeGreaterThan(0)
  }, 480_000)

  // The answer to a client's first push is lost; its next round is a
  // pull-only confirmation (ADR 006), which must still bring the refusals.
  it('tells a client of a refusal whose first push lost its answer', async () => {
    const report = await runLab({
      target: createInProcessTarget(context().database.db),
      replicas: 'memory',
      initialAvatars: 3,
      schedule: {
        clients: 2,
        steps: [
          { kind: 'edit', client: 0, mutation: 'deleteAvatar', pick: 0 },
          { kind: 'sync', client: 0, fault: 'none' },
          // B never pushed before; it renames the avatar A deleted.
          { kind: 'edit', client: 1, mutation: 'renameAvatar', pick: 0 },
          { kind: 'sync', client: 1, fault: 'lose' },
          { kind: 'sync', client: 1, fault: 'none' },
        ],
      },
    })

    expect(report.passed).toBe(true)
    expect(report.refusals).toEqual({ 'avatar/deleted': 1 })
  })
})
