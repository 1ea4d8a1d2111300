import type { z } from 'zod'

import { AppError } from './errors'

/** Client-chosen key names are echoed back and stored: keep them tame. */
function tame(key: string): string {
  const printable = key.replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, '?')
  return printable.length > 64 ? `${printable.slice(0, 64)}…` : printable
}

/**
 * Turns the first issue of a failed parse into a 400 AppError that names the
 * field at fault and says what was wrong with it.
 */
export function zodToAppError(error: z.ZodError, code: string): AppError {
  const issue = error.issues[0]
  const unknownKeys =
    issue?.code === 'unrecognized_keys' ? issue.keys.map(tame) : null
  const field = unknownKeys
    ? unknownKeys[0]
    : issue?.path.map((part) => tame(String(part))).join('.') || undefined
  const missing =
    issue?.code === 'invalid_type' && /received undefined$/.test(issue.message)
  const message = unknownKeys
    ? `unknown field: ${unknownKeys.join(', ')}`
    : missing && field
      ? `${field} is required`
      : field && !issue?.message.startsWith(field)
        ? `${field}: ${issue?.message}`
        : (issue?.message ?? 'invalid input')
  return new AppError(code, message, { status: 400, field })
}
