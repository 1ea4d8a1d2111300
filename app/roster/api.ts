import { z } from 'zod'

import { AppError } from '@/lib/errors'
import { compareAvatars, type Avatar } from '@/sync/mutations'

/** Who the server says is browsing. The space id is a label, not a secret. */
export interface Viewer {
  kind: 'guest' | 'user'
  spaceId: string
  label: string
}

/**
 * A failed API call: the server's `{ error: { code, message, field } }`, or a
 * network failure (`status` 0). `field` names the input at fault, if any.
 */
export class ApiError extends AppError {
  constructor(
    code: string,
    message: string,
    options: { status: number; field?: string; cause?: unknown },
  ) {
    super(code, message, options)
    this.name = 'ApiError'
  }
}

export function isApiError(value: unknown): value is ApiError {
  return value instanceof ApiError
}

const avatarSchema = z.object({
  id: z.string(),
  emoji: z.string(),
  name: z.string(),
  isActive: z.boolean(),
  position: z.string(),
  version: z.number(),
})

const viewerSchema = z.object({
  kind: z.enum(['guest', 'user']),
  spaceId: z.string(),
  label: z.string(),
})

const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    field: z.string().optional(),
  }),
})

const avatarBody = z.object({ avatar: avatarSchema })
const rosterBody = z.object({ avatars: z.array(avatarSchema) })
const deletedBody = z.object({ deleted: z.string() })

export interface NewAvatar {
  id: string
  emoji: string
  name: string
  isActive?: boolean
  position?: string
}

export type AvatarChanges = Partial<
  Pick<Avatar, 'name' | 'emoji' | 'isActive' | 'position'>
>

export async function fetchViewer(signal?: AbortSignal): Promise<Viewer> {
  return request('/api/viewer', { signal }, viewerSchema)
}

export async function fetchAvatars(signal?: AbortSignal): Promise<Avatar[]> {
  const body = await request('/api/avatars', { signal }, rosterBody)
  return [...body.avatars].sort(compareAvatars)
}

export async function createAvatar(input: NewAvatar): Promise<Avatar> {
  const body = await request(
    '/api/avatars',
    { method: 'POST', body: JSON.stringify(input) },
    avatarBody,
  )
  return body.avatar
}

export async function updateAvatar(
  id: string,
  changes: AvatarChanges,
): Promise<Avatar> {
  const body = await request(
    avatarPath(id),
    { method: 'PATCH', body: JSON.stringify(changes) },
    avatarBody,
  )
  return body.avatar
}

export async function deleteAvatar(id: string): Promise<string> {
  const body = await request(avatarPath(id), { method: 'DELETE' }, deletedBody)
  return body.deleted
}

function avatarPath(id: string): string {
  return `/api/avatars/${encodeURIComponent(id)}`
}

async function request<T>(
  path: string,
  init: RequestInit,
  schema: z.ZodType<T>,
): Promise<T> {
  const response = await send(path, init)
  const body = await readJson(response)
  if (!response.ok) throw errorFrom(response.status, body)

  const parsed = schema.safeParse(body)
  if (!parsed.success) {
    throw new ApiError(
      'api/bad-response',
      `The server sent an unexpected answer to ${init.method ?? 'GET'} ${path}.`,
      { status: response.status, cause: parsed.error },
    )
  }
  return parsed.data
}

async function send(path: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(path, {
      ...init,
      credentials: 'same-origin',
      headers: {
        Accept: 'application/json',
        'Content-Type': 'application/json',
      },
    })
  } catch (error) {
    // A cancelled query is not a failure; TanStack Query expects the abort.
    if (error instanceof DOMException && error.name === 'AbortError') {
      throw error
    }
    throw new ApiError(
      'network/unreachable',
      "Can't reach the server. Check your connection and try again.",
      { status: 0, cause: error },
    )
  }
}

async function readJson(response: Response): Promise<unknown> {
  try {
    return await response.json()
  } catch {
    return undefined
  }
}

function errorFrom(status: number, body: unknown): ApiError {
  const parsed = errorBodySchema.safeParse(body)
  if (!parsed.success) {
    return new ApiError(
      `http/${status}`,
      `The server answered ${status} without saying why.`,
      { status },
    )
  }
  const { code, message, field } = parsed.data.error
  return new ApiError(code, message, { status, field })
}
