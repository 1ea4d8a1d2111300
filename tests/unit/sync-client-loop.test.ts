import { randomUUID } from 'node:crypto'

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import { AppError } from '@/lib/errors'
import { backoffDelay } from '@/sync/client/backoff'
import { SyncEngine } from '@/sync/client/engine'
import { createMemoryStorage } from '@/sync/client/memory-storage'
import { SyncTransportError, type SyncTransport } from '@/sync/client/transport'
import type { SyncRequest, SyncResponse } from '@/sync/protocol'

const SPACE = 'space-a'
const backoff = { baseMs: 1_000, maxMs: 30_000 }

describe('backoffDelay', () => {
  it('doubles its cap per failure up to the maximum, drawing from the upper half', () => {
    for (let failures = 1; failures <= 10; failures++) {
      const cap = Math.min(30_000, 1_000 * 2 ** (failures - 1))
      expect(backoffDelay(failures, backoff, () => 0)).toBe(cap / 2)
      expect(backoffDelay(failures, backoff, () => 0.999_999)).toBe(cap)
    }
  })

  it('grows with every failure until the cap, whatever the jitter', () => {
    for (let failures = 1; failures < 5; failures++) {
      const highest = backoffDelay(failures, backoff, () => 0.999_999)
      const lowest = backoffDelay(failures + 1, backoff, () => 0)
      expect(lowest).toBeGreaterThanOrEqual(highest)
    }
  })

  it('spreads clients that failed together', () => {
    const delays = new Set(
      Array.from({ length: 20 }, () => backoffDelay(4, backoff)),
    )
    expect(delays.size).toBeGreaterThan(10)
  })
})

/**
 * A transport that answers like a server holding no rows, acknowledging
 * every push, after the failures it is told to produce.
 */
function scriptedTransport() {
  const calls: { at: number; request: SyncRequest }[] = []
  const failures: unknown[] = []
  /** Answers wait for these, one per call, while there are any. */
  const holds: Promise<void>[] = []
  let acked = 0
  const transport: SyncTransport = async (request) => {
    calls.push({ at: Date.now(), request })
    await holds.shift()
    const failure = failures.shift()
    if (failure) throw failure
    acked = request.mutations.at(-1)?.id ?? acked
    const response: SyncResponse = {
      protocol: 2,
      kind: 'patch',
      cursor: `${acked}@${SPACE}`,
      lastMutationId: acked,
      refused: [],
      upserts: [],
      deletes: [],
    }
    return response
  }
  return { transport, calls, failures, holds }
}

const offline = () =>
  new SyncTransportError('sync/network', 'offline', {
    status: 503,
    retryable: true,
  })

describe('the background loop', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') })
    vi.spyOn(console, 'warn').mockImplementation(() => {})
  })

  afterEach(() => {
    vi.useRealTimers()
    vi.restoreAllMocks()
  })

  async function startEngine(random = () => 0.5) {
    const script = scriptedTransport()
    const engine = await SyncEngine.open({
      storage: createMemoryStorage(),
      transport: script.transport,
      spaceId: SPACE,
      backoff,
      random,
      pollIntervalMs: 60_000,
      debounceMs: 100,
    })
    return { engine, ...script }
  }

  it('retries failed rounds after growing, jittered delays, then polls', async () => {
    const jitter = [0.1, 0.9, 0.3, 0.7]
    const { engine, calls, failures } = await startEngine(() => jitter.shift()!)
    failures.push(offline(), offline(), new AppError('db/down', 'x'), offline())
    const start = Date.now()

    engine.start()
    await vi.advanceTimersByTimeAsync(0)
    expect(calls).toHaveLength(1)
    // cap 1000, 2000, 4000, 8000; delay = cap/2 + jitter * cap/2
    const expected = [550, 1_900, 2_600, 6_800]
    let elapsed = 0
    for (const [i, delay] of expected.entries()) {
      await vi.advanceTimersByTimeAsync(delay - 1)
      expect(calls).toHaveLength(i + 1)
      await vi.advanceTimersByTimeAsync(1)
      expect(calls).toHaveLength(i + 2)
      elapsed += delay
      expect(calls.at(-1)!.at - start).toBe(elapsed)
    }
    expect(engine.failures).toBe(0)

    await vi.advanceTimersByTimeAsync(59_999)
    expect(calls).toHaveLength(5)
    await vi.advanceTimersByTimeAsync(1)
    expect(calls).toHaveLength(6)
    engine.stop()
  })

  it('pauses on a permanent refusal, reports it, and resumes when asked', async () => {
    const { engine, calls, failures } = await startEngine()
    const errors: unknown[] = []
    engine.subscribe({ onError: (error) => errors.push(error) })
    const refusal = new SyncTransportError('sync/invalid-request', 'bad', {
      status: 400,
      retryable: false,
    })
    failures.push(refusal)

    engine.start()
    await vi.advanceTimersByTimeAsync(0)
    await vi.advanceTimersByTimeAsync(10 * 60_000)
    expect(calls).toHaveLength(1)
    expect(errors).toEqual([refusal])

    engine.requestSync()
    await vi.advanceTimersByTimeAsync(100)
    expect(calls).toHaveLength(2)
    engine.stop()
  })

  it('syncs local writes after the debounce, in one round', async () => {
    const { engine, calls } = await startEngine()
    engine.start()
    await vi.advanceTimersByTimeAsync(0)
    expect(calls).toHaveLength(1)

    const id = randomUUID()
    await engine.mutate('createAvatar', { id, emoji: '🦊', name: 'Fox' })
    await vi.advanceTimersByTimeAsync(50)
    await engine.mutate('renameAvatar', { id, name: 'Vixen' })
    await vi.advanceTimersByTimeAsync(49)
    expect(calls).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)

    expect(calls.map((c) => c.request.mutations.length)).toEqual([0, 2])
    expect(await engine.pendingMutations()).toEqual([])
    engine.stop()
  })

  it('confirms the space first, then pushes at once when there is more', async () => {
    const { engine, calls } = await startEngine()
    await engine.mutate('createAvatar', {
      id: randomUUID(),
      emoji: '🦊',
      name: 'Fox',
    })

    engine.start()
    await vi.waitFor(() => expect(calls).toHaveLength(2))

    expect(calls.map((c) => c.request.mutations.length)).toEqual([0, 1])
    // Well before any retry or poll would have run.
    expect(calls[1]!.at - calls[0]!.at).toBeLessThan(backoff.baseMs / 2)
    engine.stop()
  })

  it('drops a round the loop queued behind a running one when stopped meanwhile', async () => {
    const { engine, calls, holds } = await startEngine()
    engine.start()
    await vi.advanceTimersByTimeAsync(0)
    expect(calls).toHaveLength(1)

    // A slow round is on the wire when a local write asks for another.
    let answer!: () => void
    holds.push(new Promise<void>((resolve) => (answer = resolve)))
    const running = engine.sync()
    await vi.advanceTimersByTimeAsync(0)
    expect(calls).toHaveLength(2)
    const id = randomUUID()
    await engine.mutate('createAvatar', { id, emoji: '🦊', name: 'Fox' })
    await vi.advanceTimersByTimeAsync(100)

    // Paused (the inspector's switch): an edit made now must stay queued.
    engine.stop()
    await engine.mutate('renameAvatar', { id, name: 'Vixen' })
    answer()
    await running
    await vi.advanceTimersByTimeAsync(10 * 60_000)
    expect(calls).toHaveLength(2)
    expect((await engine.pendingMutations()).map((m) => m.name)).toEqual([
      'createAvatar',
      'renameAvatar',
    ])

    // An explicit round still runs while stopped.
    await engine.sync()
    expect(calls).toHaveLength(3)
  })

  it('counts a failed round once, however many triggers waited for it', async () => {
    const { engine, calls, failures, holds } = await startEngine()
    const retries: (number | null)[] = []
    engine.subscribe({
      onRoundFailed: (failure) => retries.push(failure.retryInMs),
    })
    engine.start()
    await vi.advanceTimersByTimeAsync(0)
    expect(calls).toHaveLength(1)

    // A slow round is on the wire; a write, then a poke, ask for the next.
    let answer!: () => void
    holds.push(new Promise<void>((resolve) => (answer = resolve)))
    const running = engine.sync()
    await vi.advanceTimersByTimeAsync(0)
    await engine.mutate('createAvatar', {
      id: randomUUID(),
      emoji: '🦊',
      name: 'Fox',
    })
    await vi.advanceTimersByTimeAsync(100)
    engine.requestSync()
    await vi.advanceTimersByTimeAsync(100)

    failures.push(undefined, offline())
    answer()
    await running
    await vi.advanceTimersByTimeAsync(0)
    expect(calls).toHaveLength(3)
    expect(engine.failures).toBe(1)
    // The first retry's delay (cap 1000, jitter 0.5), reported once.
    expect(retries).toEqual([750])
    await vi.advanceTimersByTimeAsync(750)
    expect(calls).toHaveLength(4)
    engine.stop()
  })

  it('runs no round after stop()', async () => {
    const { engine, calls, failures } = await startEngine()
    failures.push(offline())
    engine.start()
    await vi.advanceTimersByTimeAsync(0)
    engine.stop()
    await vi.advanceTimersByTimeAsync(10 * 60_000)
    expect(calls).toHaveLength(1)
  })
})
