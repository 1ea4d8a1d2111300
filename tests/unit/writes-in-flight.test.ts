import { describe, expect, it } from 'vitest'

import type { RosterBackend } from '@/app/replica/backend'
import { countingWrites, holdUnload } from '@/app/replica/writes-in-flight'

/** A backend whose writes finish when the test says so. */
function slowBackend() {
  const finish: Array<(ok: boolean) => void> = []
  const backend: RosterBackend = {
    kind: 'replica',
    listAvatars: async () => [],
    write: () =>
      new Promise((resolve, reject) => {
        finish.push((ok) => (ok ? resolve(null) : reject(new Error('full'))))
      }),
  }
  return { backend, finish }
}

describe('writes on their way into the replica', () => {
  it('counts each write from its start until its transaction settles, failed or not', async () => {
    const { backend, finish } = slowBackend()
    const counts: number[] = []
    const counted = countingWrites(backend, (running) => counts.push(running))

    const first = counted.write('setActive', { id: 'a', isActive: true })
    const second = counted.write('renameAvatar', { id: 'a', name: 'Ada' })
    expect(counts).toEqual([1, 2])

    finish[0]!(true)
    await first
    expect(counts.at(-1)).toBe(1)
    finish[1]!(false)
    await expect(second).rejects.toThrow('full')
    expect(counts).toEqual([1, 2, 1, 0])
  })

  it('reads through to the backend it wraps', async () => {
    const { backend } = slowBackend()
    const counted = countingWrites(backend, () => {})
    expect(counted.kind).toBe('replica')
    await expect(counted.listAvatars()).resolves.toEqual([])
  })
})

describe('holding the page while a write is stored', () => {
  const leave = (target: EventTarget) => {
    const event = new Event('beforeunload', { cancelable: true })
    target.dispatchEvent(event)
    return event.defaultPrevented
  }

  it('asks before leaving until released, then lets the page go', () => {
    const target = new EventTarget()
    expect(leave(target)).toBe(false)
    const release = holdUnload(target as unknown as Window)
    expect(leave(target)).toBe(true)
    release()
    expect(leave(target)).toBe(false)
  })
})
