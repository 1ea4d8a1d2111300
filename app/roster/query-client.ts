import { QueryClient } from '@tanstack/react-query'

import { ApiError } from './api'

const MINUTE = 60_000

/** A refused request will be refused again: only retry what may pass later. */
function shouldRetry(failureCount: number, error: unknown): boolean {
  if (error instanceof ApiError && error.status >= 400 && error.status < 500) {
    return false
  }
  return failureCount < 2
}

/** The one place a QueryClient is made, in the browser and on the server. */
export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // The server render is fresh; do not refetch it on hydration.
        staleTime: 30_000,
        gcTime: 10 * MINUTE,
        retry: shouldRetry,
      },
      mutations: {
        retry: false,
        // Before the local replica exists a write goes straight to the server.
        // Paused in memory it would be lost on reload, so an offline write
        // fails at once and says so instead.
        networkMode: 'always',
      },
    },
  })
}
