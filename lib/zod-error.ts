import type { z } from 'zod'

import { AppError } from './errors'

/**
 * Turns the first issue of a failed parse into a 400 AppError that names the
 * field at fault and says what was wrong with it.
 */
export function zodToAppError(error: z.ZodError, code: string): AppError {
  const issue = error.issues[0]
  const unknownKeys = issue?.code === 'unrecognized_keys' ? issue.keys : null
  const field = unknownKeys
    ? unknownKeys[0]
    : issue?.path.map(String).join('.') || undefined
  const message = unknownKeys
    ? `unknown field: ${unknownKeys.join(', ')}`
    : issue?.code === 'invalid_type' && issue.input === undefined && field
      ? `${field} is required`
      : field && !issue?.message.startsWith(field)
        ? `${field}: ${issue?.message}`
        : (issue?.message ?? 'invalid input')
  return new AppError(code, message, { status: 400, field })
}
