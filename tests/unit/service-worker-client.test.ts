import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

import {
  SERVICE_WORKER_URL,
  startServiceWorker,
  type UpdateState,
} from '@/app/pwa/service-worker.client'

/** A stand-in ServiceWorker: records its messages. */
class FakeWorker extends EventTarget {
  state = 'installed'
  messages: unknown[] = []
  postMessage(message: unknown) {
    this.messages.push(message)
  }
}

class FakeRegistration extends EventTarget {
  waiting: FakeWorker | null = null
  installing: FakeWorker | null = null
  update = vi.fn(async () => {})
}

class FakeContainer extends EventTarget {
  controller: FakeWorker | null = null
  registration = new FakeRegistration()
  register = vi.fn(async () => this.registration)
}

let container: FakeContainer
let reload: ReturnType<typeof vi.fn>
let states: UpdateState[]

beforeEach(() => {
  container = new FakeContainer()
  reload = vi.fn()
  states = []
  const window = new EventTarget()
  vi.stubGlobal('navigator', { serviceWorker: container })
  vi.stubGlobal(
    'document',
    Object.assign(new EventTarget(), { visibilityState: 'visible' }),
  )
  vi.stubGlobal('window', Object.assign(window, { location: { reload } }))
})

afterEach(() => {
  vi.unstubAllGlobals()
})

const flush = () => new Promise((resolve) => setTimeout(resolve, 0))

async function start() {
  const handle = startServiceWorker((state) => states.push(state))
  await flush()
  return handle
}

/** A new worker goes through installing → installed. */
function installNewWorker() {
  const worker = new FakeWorker()
  worker.state = 'installing'
  container.registration.installing = worker
  container.registration.dispatchEvent(new Event('updatefound'))
  worker.state = 'installed'
  worker.dispatchEvent(new Event('statechange'))
  container.registration.installing = null
  container.registration.waiting = worker
  return worker
}

describe('service worker registration and updates', () => {
  it('registers the worker for the whole site', async () => {
    await start()
    expect(container.register).toHaveBeenCalledWith(SERVICE_WORKER_URL, {
      scope: '/',
      updateViaCache: 'none',
    })
  })

  it('does not offer the first install as an update, nor reload for it', async () => {
    await start()
    installNewWorker()
    container.controller = new FakeWorker()
    container.dispatchEvent(new Event('controllerchange'))

    expect(states).toEqual([])
    expect(reload).not.toHaveBeenCalled()
  })

  it('offers a waiting worker and sends SKIP_WAITING only when accepted', async () => {
    container.controller = new FakeWorker()
    container.registration.waiting = new FakeWorker()
    const handle = await start()
    const worker = installNewWorker()

    expect(states.at(-1)).toEqual({ kind: 'waiting', worker })
    expect(worker.messages).toEqual([])

    handle.accept(worker as unknown as ServiceWorker)
    expect(worker.messages).toEqual([{ type: 'SKIP_WAITING' }])
    expect(reload).not.toHaveBeenCalled()

    container.dispatchEvent(new Event('controllerchange'))
    container.dispatchEvent(new Event('controllerchange'))
    expect(reload).toHaveBeenCalledTimes(1)
  })

  it('tells a tab that another tab accepted, without reloading it', async () => {
    container.controller = new FakeWorker()
    await start()
    container.dispatchEvent(new Event('controllerchange'))

    expect(states).toEqual([{ kind: 'activated-elsewhere' }])
    expect(reload).not.toHaveBeenCalled()
  })

  it('never reloads when the network comes back', async () => {
    container.controller = new FakeWorker()
    await start()
    ;(window as unknown as EventTarget).dispatchEvent(new Event('online'))
    expect(reload).not.toHaveBeenCalled()
    expect(states).toEqual([])
  })
})
