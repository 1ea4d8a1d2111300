'use client'

import { useEffect, useRef, useState } from 'react'

import {
  removeServiceWorkers,
  serviceWorkerSupported,
  startServiceWorker,
  type ServiceWorkerHandle,
  type UpdateState,
} from './service-worker.client'

/**
 * Registers the service worker once the page has loaded, and offers a new
 * version when one is ready. Rendered once, in the root layout.
 */
export function UpdatePrompt() {
  const [update, setUpdate] = useState<UpdateState>({ kind: 'none' })
  const handle = useRef<ServiceWorkerHandle | null>(null)

  useEffect(() => {
    if (!serviceWorkerSupported()) return
    if (process.env.NODE_ENV !== 'production') {
      void removeServiceWorkers()
      return
    }
    const start = () => {
      handle.current = startServiceWorker(setUpdate)
    }
    // After load: the worker's precache downloads must not compete with
    // the page's own first requests.
    if (document.readyState === 'complete') start()
    else window.addEventListener('load', start, { once: true })
    return () => {
      window.removeEventListener('load', start)
      handle.current?.stop()
      handle.current = null
    }
  }, [])

  const reload = () => {
    if (update.kind === 'waiting' && handle.current) {
      handle.current.accept(update.worker)
    } else {
      window.location.reload()
    }
  }

  return (
    <div role="status" className="update-prompt-region">
      {update.kind === 'none' ? null : (
        <div className="update-prompt">
          <p>A new version is ready.</p>
          <button type="button" className="button-primary" onClick={reload}>
            Reload
          </button>
        </div>
      )}
    </div>
  )
}
