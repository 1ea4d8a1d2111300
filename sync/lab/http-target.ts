import { createHttpTransport } from '../client/http-transport'
import type { SyncTransport } from '../client/transport'
import type { Avatar } from '../mutations'
import { PROTOCOL_VERSION, SCHEMA_VERSION } from '../protocol'
import type { LabProbe, LabTarget } from './target'

export interface HttpTargetOptions {
  /** The fetch to use; the global one by default. */
  fetch?: typeof fetch
  /** The server's instruments, when the lab started that server itself. */
  probe?: LabProbe
  label?: string
}

/**
 * A lab target behind HTTP: a Rollcall (or the lab's own server) at
 * `baseUrl`. It becomes a new guest with one `GET /api/viewer` and keeps
 * the guest cookie in a jar shared by every client of the run, as tabs of
 * one browser profile share it; renewed cookies replace the old one.
 */
export async function connectHttpTarget(
  baseUrl: string,
  options: HttpTargetOptions = {},
): Promise<LabTarget> {
  const base = baseUrl.replace(/\/+$/, '')
  const jar = new CookieJar()
  const plainFetch = options.fetch ?? globalThis.fetch
  const fetchWithCookies: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers)
    const cookie = jar.header()
    if (cookie) headers.set('cookie', cookie)
    const response = await plainFetch(input, { ...init, headers })
    jar.store(response)
    return response
  }

  const spaceId = await becomeGuest(base, fetchWithCookies)
  const transport = createHttpTransport({
    url: `${base}/api/sync`,
    fetch: fetchWithCookies,
  })

  return {
    label: options.label ?? base,
    spaceId,
    probe: options.probe,
    transport: () => transport,
    listAvatars: () => fetchAvatars(base, fetchWithCookies),
    lastMutationIds: (clientIds) => askLastMutationIds(transport, clientIds),
    close: async () => {},
  }
}

async function becomeGuest(base: string, fetchImpl: typeof fetch) {
  // The first answer sets the cookie; a server that reads the viewer only
  // from the request's own cookie needs a second look.
  for (let attempt = 0; attempt < 2; attempt++) {
    const response = await fetchImpl(`${base}/api/viewer`)
    const body = (await response.json().catch(() => null)) as {
      spaceId?: unknown
    } | null
    if (response.ok && typeof body?.spaceId === 'string') return body.spaceId
    if (response.status !== 401) {
      throw new Error(`GET ${base}/api/viewer answered ${response.status}`)
    }
  }
  throw new Error(`${base} gave no guest cookie on GET /api/viewer`)
}

async function fetchAvatars(
  base: string,
  fetchImpl: typeof fetch,
): Promise<Avatar[]> {
  const response = await fetchImpl(`${base}/api/avatars`)
  if (!response.ok) {
    throw new Error(`GET ${base}/api/avatars answered ${response.status}`)
  }
  const body = (await response.json()) as { avatars?: unknown }
  if (!Array.isArray(body.avatars)) {
    throw new Error(`GET ${base}/api/avatars answered without avatars`)
  }
  return body.avatars as Avatar[]
}

/**
 * Over HTTP the server's `sync_clients` table is out of reach, but a
 * pull-only round reads it: its `lastMutationId` is what the server
 * recorded for the client. A pull writes nothing.
 */
async function askLastMutationIds(
  transport: SyncTransport,
  clientIds: readonly string[],
): Promise<Map<string, number>> {
  const result = new Map<string, number>()
  for (const clientId of clientIds) {
    const response = await transport({
      protocol: PROTOCOL_VERSION,
      schemaVersion: SCHEMA_VERSION,
      clientId,
      cursor: null,
      mutations: [],
    })
    result.set(clientId, response.lastMutationId)
  }
  return result
}

/** Just enough of a cookie jar for one site: name=value pairs. */
class CookieJar {
  readonly #pairs = new Map<string, string>()

  header(): string {
    return [...this.#pairs]
      .map(([name, value]) => `${name}=${value}`)
      .join('; ')
  }

  store(response: Response) {
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';', 1)[0]!
      const at = pair.indexOf('=')
      if (at < 1) continue
      const name = pair.slice(0, at).trim()
      const value = pair.slice(at + 1).trim()
      const expired = /;\s*max-age=0\b/i.test(line)
      if (value === '' || expired) this.#pairs.delete(name)
      else this.#pairs.set(name, value)
    }
  }
}
