import { z } from 'zod'

import {
  EMOJI_MAX_CODE_POINTS,
  NAME_MAX,
  POSITION_MAX,
} from '../db/schema/limits'
import { POSITION_PATTERN } from './position'

// One RGI emoji: a single code point, a keycap, a flag, a skin-tone or ZWJ
// sequence. The `v` flag gives the sequence property.
const ONE_EMOJI = oneEmojiPattern()
function oneEmojiPattern(): RegExp {
  try {
    return new RegExp('^\\p{RGI_Emoji}$', 'v')
  } catch {
    // Browsers before 2023 lack the `v` flag: accept one pictograph with its
    // modifiers and joiners instead (the server, on Node 20, stays exact).
    return /^(?:\p{Regional_Indicator}{2}|[#*0-9]\uFE0F?\u20E3|\p{Extended_Pictographic}(?:\uFE0F|\p{Emoji_Modifier})?(?:[\u{E0020}-\u{E007E}]+\u{E007F})?(?:\u200D\p{Extended_Pictographic}(?:\uFE0F|\p{Emoji_Modifier})?)*)$/u
  }
}

const CONTROL = /[\p{Cc}\u2028\u2029]/u

const codePoints = (value: string) => [...value].length

/** "x is required" when absent, "x must be a string" otherwise. */
const typeError = (field: string) => (issue: { input: unknown }) =>
  issue.input === undefined
    ? `${field} is required`
    : `${field} must be a string`

/** A display name: trimmed, 1–40 code points, no control characters. */
export const nameSchema = z
  .string({ error: typeError('name') })
  .refine((value) => value.isWellFormed(), {
    message: 'name must be well-formed Unicode (no lone surrogates)',
    abort: true,
  })
  .trim()
  .refine((value) => !CONTROL.test(value), {
    message: 'name must not contain control characters',
  })
  .refine((value) => codePoints(value) >= 1, {
    message: 'name must not be empty',
  })
  .refine((value) => codePoints(value) <= NAME_MAX, {
    message: `name must be at most ${NAME_MAX} characters`,
  })

const isOneEmoji = (value: string) =>
  codePoints(value) <= EMOJI_MAX_CODE_POINTS && ONE_EMOJI.test(value)

/**
 * Exactly one emoji grapheme. A symbol typed without its emoji presentation
 * selector (U+2764 for ❤️) gets one added, as keyboards often omit it.
 */
export const emojiSchema = z
  .string({ error: typeError('emoji') })
  .transform((value) =>
    !isOneEmoji(value) && isOneEmoji(value + '\uFE0F')
      ? value + '\uFE0F'
      : value,
  )
  .refine(isOneEmoji, {
    message: 'emoji must be exactly one emoji',
  })

export const positionSchema = z
  .string({ error: typeError('position') })
  .max(POSITION_MAX, `position must be at most ${POSITION_MAX} characters`)
  .regex(POSITION_PATTERN, 'position must be a fractional key ([0-9a-z])')

export const avatarIdSchema = z.uuid({ error: 'id must be a UUID' })
