import { z } from 'zod'

/**
 * What sign-up and sign-in accept. Shared by the server actions, the JSON
 * route and the forms, so every path refuses the same input with the same
 * messages.
 */

/** Longer passwords only cost hashing time; nobody types more than this. */
export const PASSWORD_MAX = 256
export const PASSWORD_MIN = 10
export const NAME_MAX = 200

const email = z
  .string({ error: 'enter your email address' })
  .trim()
  .toLowerCase()
  .min(1, 'enter your email address')
  .max(254, 'an email address has at most 254 characters')
  .pipe(z.email({ error: 'enter an email address like ann@example.com' }))

/**
 * Characters a display name may not hold: control characters (NUL, line
 * breaks, which could also forge log lines) and the bidirectional
 * overrides and isolates that make a name read as something else.
 */
const NOT_IN_NAMES = /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u

/** A character that shows: not a space, a format character (zero-width
 * spaces and joiners) nor one of the blank fillers some scripts have. */
const VISIBLE = /[^\p{Z}\p{Cf}\s\u115F\u1160\u3164\uFFA0]/u

export const signUpInput = z.strictObject({
  name: z
    .string({ error: 'enter a name' })
    .refine((value) => value.isWellFormed(), {
      message: 'a name must be well-formed text',
      abort: true,
    })
    .trim()
    .min(1, 'enter a name')
    .max(NAME_MAX, `a name has at most ${NAME_MAX} characters`)
    .refine((value) => !NOT_IN_NAMES.test(value), {
      message: 'a name cannot hold control or text-direction characters',
      abort: true,
    })
    .refine((value) => VISIBLE.test(value), {
      message: 'a name needs at least one visible character',
    }),
  email,
  password: z
    .string({ error: 'choose a password' })
    .min(PASSWORD_MIN, `use at least ${PASSWORD_MIN} characters`)
    .max(PASSWORD_MAX, `use at most ${PASSWORD_MAX} characters`),
})

export const signInInput = z.strictObject({
  email,
  password: z
    .string({ error: 'enter your password' })
    .min(1, 'enter your password')
    .max(PASSWORD_MAX, `a password has at most ${PASSWORD_MAX} characters`),
})

export type SignUpInput = z.infer<typeof signUpInput>
export type SignInInput = z.infer<typeof signInInput>

/** Every field's first problem, for messages beside the fields. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const errors: Record<string, string> = {}
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? 'form')
    errors[field] ??= issue.message
  }
  return errors
}

/** The one answer to a wrong email or password, whichever it was. */
export const WRONG_CREDENTIALS = 'That email and password do not match.'
