import 'server-only'

import { randomUUID } from 'node:crypto'
import {
  createServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http'
import type { AddressInfo } from 'node:net'

import type { Database } from '../../db/connect.server'
import { AppError } from '../../lib/errors'
import {
  assertSameOrigin,
  errorResponse,
  jsonResponse,
  readJsonBody,
} from '../../lib/http'
import { createLogger } from '../../lib/logger'
import { MAX_SYNC_BODY_BYTES } from '../protocol'
import { listAvatars } from '../server/mutators.server'
import {
  InjectedServerFault,
  type ProbeOptions,
  ServerProbe,
} from './probe.server'

const log = createLogger('lab')

/** The lab server's guest cookie (plain: it serves loopback HTTP only). */
export const LAB_GUEST_COOKIE = 'guest'

export interface LabHttpServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string
  probe: ServerProbe
  close(): Promise<void>
}

/**
 * A small HTTP server on a free loopback port that answers the three routes
 * a headless client uses, with the same request checks and error bodies as
 * Rollcall's (lib/http) and the same round (`runSync`, through the probe):
 *
 * - `GET /api/viewer` gives a new visitor a guest cookie and a fresh space;
 * - `POST /api/sync` runs one round for the cookie's space;
 * - `GET /api/avatars` lists the cookie's space.
 *
 * Guest cookies here are random tokens kept in memory, not Rollcall's
 * signed tokens: the lab tests sync, not identity. It needs no build, so
 * `npm run sync:lab` works on a fresh clone.
 */
export async function startLabHttpServer(
  db: Database,
  options: ProbeOptions = {},
): Promise<LabHttpServer> {
  const probe = new ServerProbe(db, options)
  const guests = new Map<string, string>()

  const answer = async (request: Request): Promise<Response> => {
    const { pathname } = new URL(request.url)
    const token = readCookie(request, LAB_GUEST_COOKIE)
    const spaceId = token === undefined ? undefined : guests.get(token)

    if (request.method === 'GET' && pathname === '/api/viewer') {
      if (spaceId) return jsonResponse(viewerBody(spaceId))
      const fresh = randomUUID()
      const space = randomUUID()
      guests.set(fresh, space)
      const response = jsonResponse(viewerBody(space))
      response.headers.append(
        'set-cookie',
        `${LAB_GUEST_COOKIE}=${fresh}; Path=/; HttpOnly; SameSite=Lax`,
      )
      return response
    }
    if (request.method === 'POST' && pathname === '/api/sync') {
      // The route's order: origin, viewer, then the body.
      assertSameOrigin(request)
      const space = requireSpace(spaceId)
      const body = await readJsonBody(request, MAX_SYNC_BODY_BYTES)
      const outcome = await probe.run(space, body)
      return jsonResponse(outcome.response)
    }
    if (request.method === 'GET' && pathname === '/api/avatars') {
      const avatars = await listAvatars(db, requireSpace(spaceId))
      return jsonResponse({ avatars })
    }
    throw new AppError(
      'request/not-found',
      `the lab server has no ${request.method} ${pathname}`,
      { status: 404 },
    )
  }

  const server = createServer((incoming, outgoing) => {
    void serve(incoming, outgoing, answer)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  log.debug(`lab server listening on 127.0.0.1:${port}`)

  return {
    url: `http://127.0.0.1:${port}`,
    probe,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      }),
  }
}

async function serve(
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  answer: (request: Request) => Promise<Response>,
) {
  let response: Response
  try {
    response = await answer(await toRequest(incoming))
  } catch (error) {
    response = failure(error)
  }
  const headers: Record<string, string | string[]> = {}
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value
  })
  const cookies = response.headers.getSetCookie()
  if (cookies.length > 0) headers['set-cookie'] = cookies
  outgoing.writeHead(response.status, headers)
  outgoing.end(Buffer.from(await response.arrayBuffer()))
}

function failure(error: unknown): Response {
  if (error instanceof InjectedServerFault) {
    log.debug('answered 500 for a push failed on purpose')
    const internal = new AppError(
      'server/internal',
      'something went wrong on our side',
    )
    return jsonResponse(internal.toJSON(), 500)
  }
  return errorResponse(error, log)
}

/**
 * A web Request for the node request. The body is read up to one byte past
 * the sync limit: `readJsonBody` refuses anything longer.
 */
async function toRequest(incoming: IncomingMessage): Promise<Request> {
  const headers = new Headers()
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v)
    else if (value !== undefined) headers.set(name, value)
  }
  const url = new URL(incoming.url ?? '/', `http://${headers.get('host')}`)
  if (incoming.method === 'GET' || incoming.method === 'HEAD') {
    return new Request(url, { method: incoming.method, headers })
  }

  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of incoming as AsyncIterable<Buffer>) {
    if (size > MAX_SYNC_BODY_BYTES) continue
    chunks.push(chunk)
    size += chunk.byteLength
  }
  const body = Buffer.concat(chunks).subarray(0, MAX_SYNC_BODY_BYTES + 1)
  return new Request(url, { method: incoming.method, headers, body })
}

function readCookie(request: Request, name: string): string | undefined {
  for (const pair of (request.headers.get('cookie') ?? '').split(';')) {
    const [key, ...value] = pair.trim().split('=')
    if (key === name) return value.join('=')
  }
  return undefined
}

function requireSpace(spaceId: string | undefined): string {
  if (spaceId) return spaceId
  throw new AppError(
    'viewer/unknown',
    'this request carries no lab guest cookie; GET /api/viewer first',
    { status: 401 },
  )
}

function viewerBody(spaceId: string) {
  return { kind: 'guest', spaceId, label: `Guest ${spaceId.slice(0, 4)}` }
}
