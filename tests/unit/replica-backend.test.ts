import { describe, expect, it } from 'vitest'

import { toApiError } from '@/app/replica/backend'
import { ApiError } from '@/app/roster/api'
import { AppError } from '@/lib/errors'
import { SyncTransportError } from '@/sync/client/transport'

describe('errors the data hooks see', () => {
  it('passes an ApiError through', () => {
    const error = new ApiError('avatar/deleted', 'gone', { status: 410 })
    expect(toApiError(error)).toBe(error)
  })

  it('keeps a refusal’s code, status and field', () => {
    const error = toApiError(
      new AppError('mutation/invalid', 'name is empty', {
        status: 400,
        field: 'name',
      }),
    )
    expect(error).toBeInstanceOf(ApiError)
    expect(error).toMatchObject({
      code: 'mutation/invalid',
      status: 400,
      field: 'name',
    })
  })

  it('says the server is unreachable when the request never got an answer', () => {
    const error = toApiError(
      new SyncTransportError('sync/network', 'Failed to fetch', {
        status: 503,
        retryable: true,
      }),
    )
    expect(error).toMatchObject({ code: 'network/unreachable', status: 0 })
  })

  it('wraps anything else', () => {
    expect(toApiError(new Error('boom'))).toMatchObject({
      code: 'client/unexpected',
      message: 'boom',
      status: 500,
    })
  })
})
