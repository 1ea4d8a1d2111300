'use client'

import { QueryClientProvider } from '@tanstack/react-query'
import { useEffect, useState, type ReactNode } from 'react'

import { IdentityFollower } from './account/identity.client'
import { SignOutGuard } from './account/sign-out-guard'
import { persistQueryCache } from './replica/query-persistence.client'
import { ReplicaProvider } from './replica/replica-provider'
import { makeQueryClient } from './roster/query-client'

/** Client-side context for the whole app: one QueryClient per browser tab. */
export function Providers({ children }: { children: ReactNode }) {
  // Held in state, not module scope: a server render must never share one
  // viewer's cache with another's request.
  const [queryClient] = useState(makeQueryClient)
  useEffect(() => persistQueryCache(queryClient), [queryClient])
  return (
    <QueryClientProvider client={queryClient}>
      <IdentityFollower />
      <SignOutGuard>
        <ReplicaProvider>{children}</ReplicaProvider>
      </SignOutGuard>
    </QueryClientProvider>
  )
}
