'use client'

import { useEffect, useState } from 'react'

import {
  acceptUpdate,
  removeServiceWorkers,
  serviceWorkerSupported,
  startServiceWorker,
  type UpdateState,
} from './service-worker.client'

/**
 * Registers the service worker once the page has loaded, and offers a new
 * version when one is ready. Rendered once, in the root layout.
 */
export function UpdatePrompt() {
  const [update, setUpdate] = useState<UpdateState>({ kind: 'none' })

  useEffect(() => {
    if (!serviceWorkerSupported()) return
    if (process.env.NODE_ENV !== 'production') {
      void removeServiceWorkers()
      return
    }
    let stop: (() => void) | undefined
    const start = () => {
      stop = startServiceWorker(setUpdate)
    }
    // After load: the worker's precache downloads must not compete with
    // the page's own first requests.
    if (document.readyState === 'complete') start()
    else window.addEventListener('load', start, { once: true })
    return () => {
      window.removeEventListener('load', start)
      stop?.()
    }
  }, [])

  const reload = () => {
    if (update.kind === 'waiting') acceptUpdate(update.worker)
    else window.location.reload()
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
