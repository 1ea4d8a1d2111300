/**
 * Registration and updates of the service worker, in the browser. A new
 * worker waits until the person accepts it: then it takes over and the page
 * reloads once. Nothing here reloads on its own (not on `online`, not when
 * another tab accepts an update), so a sync in flight is never cut short.
 */

import { createLogger } from '@/lib/logger'

const log = createLogger('pwa')

/** The worker's URL, built from sw/ by app/serwist/[path]/route.ts. */
export const SERVICE_WORKER_URL = '/serwist/sw.js'

/** At most one update check per this many ms when the tab comes back. */
const UPDATE_CHECK_INTERVAL_MS = 60 * 60 * 1000

export type UpdateState =
  /** Nothing to offer. */
  | { kind: 'none' }
  /** A new worker is installed and waits for the person to accept it. */
  | { kind: 'waiting'; worker: ServiceWorker }
  /** Another tab accepted: this page runs old code under the new worker. */
  | { kind: 'activated-elsewhere' }

export function serviceWorkerSupported(): boolean {
  return typeof navigator !== 'undefined' && 'serviceWorker' in navigator
}

export interface ServiceWorkerHandle {
  /**
   * The person accepted the update: the waiting worker takes over, and the
   * page reloads once when it controls the page. The outbox and every cache
   * but the old precache entries survive (they live in IndexedDB and in
   * caches the new worker keeps).
   */
  accept(worker: ServiceWorker): void
  /** Stops listening (the registration stays). */
  stop(): void
}

/**
 * Registers the worker for the whole site and reports updates through
 * `onChange`.
 */
export function startServiceWorker(
  onChange: (state: UpdateState) => void,
): ServiceWorkerHandle {
  const container = navigator.serviceWorker
  let accepted = false
  // A page loaded without a worker gets one through clientsClaim: that
  // first controllerchange is not an update.
  let hadController = container.controller !== null
  let stopped = false
  let lastCheck = Date.now()
  let registration: ServiceWorkerRegistration | undefined

  const report = (state: UpdateState) => {
    if (!stopped) onChange(state)
  }

  const onControllerChange = () => {
    if (accepted) return
    if (hadController) report({ kind: 'activated-elsewhere' })
    hadController = true
  }

  const onVisible = () => {
    if (document.visibilityState !== 'visible' || !registration) return
    if (Date.now() - lastCheck < UPDATE_CHECK_INTERVAL_MS) return
    lastCheck = Date.now()
    registration.update().catch(() => {
      // Offline or the server is away: a later visit checks again.
    })
  }

  container.addEventListener('controllerchange', onControllerChange)
  document.addEventListener('visibilitychange', onVisible)

  container
    .register(SERVICE_WORKER_URL, { scope: '/', updateViaCache: 'none' })
    .then((registered) => {
      registration = registered
      watchForWaiting(registered, (worker) => {
        // With no controller this is the first install, not an update.
        if (container.controller) report({ kind: 'waiting', worker })
      })
    })
    .catch((error: unknown) => {
      // The app works without a worker; it just cannot start offline.
      const reason = error instanceof Error ? error.message : String(error)
      log.warn(`service worker registration failed: ${reason}`)
    })

  return {
    accept(worker) {
      accepted = true
      container.addEventListener(
        'controllerchange',
        () => window.location.reload(),
        { once: true },
      )
      worker.postMessage({ type: 'SKIP_WAITING' })
    },
    stop() {
      stopped = true
      container.removeEventListener('controllerchange', onControllerChange)
      document.removeEventListener('visibilitychange', onVisible)
    },
  }
}

/** In development no worker runs; one left by a production build on the
 * same origin would serve stale pages, so it is removed. */
export async function removeServiceWorkers(): Promise<void> {
  const registrations = await navigator.serviceWorker.getRegistrations()
  await Promise.all(registrations.map((each) => each.unregister()))
}

/** Calls `onWaiting` for a worker that is waiting now or finishes later. */
function watchForWaiting(
  registration: ServiceWorkerRegistration,
  onWaiting: (worker: ServiceWorker) => void,
) {
  if (registration.waiting) onWaiting(registration.waiting)
  registration.addEventListener('updatefound', () => {
    const installing = registration.installing
    if (!installing) return
    installing.addEventListener('statechange', () => {
      if (installing.state === 'installed') onWaiting(installing)
    })
  })
}
