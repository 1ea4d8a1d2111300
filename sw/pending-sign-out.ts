/**
 * A sign-out this browser could not finish with the server yet (ADR 013):
 * the session cookie is HttpOnly, so only the server can end it. The page
 * records the intent here when it signs out offline; until the server has
 * ended the session, the service worker sends no navigation to the network
 * with it and the page shows nothing of the account. Shared by the page and
 * the worker; the flag names no one and holds no secret.
 */
import { createStore, del, get, set, type UseStore } from 'idb-keyval'

/** The IndexedDB database of the flag (not one sign-out wipes). */
export const SIGN_OUT_DATABASE = 'rollcall-sign-out'

/** The route that ends the session and hands out a new guest. */
export const SIGN_OUT_PATH = '/api/sign-out'

const KEY = 'pending'

export interface PendingSignOut {
  /** When the person signed out, in ms since the epoch. */
  since: number
}

/** Who the browser is once the server has ended the session. */
export interface NewGuest {
  kind: 'guest'
  spaceId: string
  label: string
}

let store: UseStore | undefined
function flagStore(): UseStore {
  store ??= createStore(SIGN_OUT_DATABASE, 'flags')
  return store
}

/** Records that this browser signed out and the server does not know yet. */
export async function markSignOutPending(now = Date.now()): Promise<void> {
  await set(KEY, { since: now } satisfies PendingSignOut, flagStore())
}

/**
 * Whether a sign-out waits for the server. An unreadable flag counts as
 * none: the browser then behaves as before the flag existed.
 */
export async function signOutPending(): Promise<boolean> {
  try {
    return (await get<PendingSignOut>(KEY, flagStore())) !== undefined
  } catch {
    return false
  }
}

/**
 * Asks the server to end the session and give a new guest, then clears the
 * flag. Resolves with the new guest, or null when the server could not be
 * reached or refused (the flag stays, and the next try repeats it: ending
 * a session twice only hands out another empty guest).
 */
export async function finishPendingSignOut(
  origin: string,
): Promise<NewGuest | null> {
  let response: Response
  try {
    response = await fetch(new URL(SIGN_OUT_PATH, origin), {
      method: 'POST',
      credentials: 'same-origin',
      cache: 'no-store',
    })
  } catch {
    return null
  }
  if (!response.ok) return null
  const guest = (await response.json().catch(() => null)) as NewGuest | null
  if (guest?.kind !== 'guest' || typeof guest.spaceId !== 'string') {
    return null
  }
  await del(KEY, flagStore()).catch(() => undefined)
  return guest
}
