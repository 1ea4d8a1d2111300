import { describe, expect, it } from 'vitest'

import { emojiSchema, nameSchema } from '@/sync/validation'

describe('emoji', () => {
  it.each([
    ['a face', '😀'],
    ['a skin tone', '👍🏽'],
    ['a ZWJ family', '👩‍👩‍👧‍👦'],
    ['a flag', '🇫🇷'],
    ['a keycap', '1️⃣'],
    ['a subdivision flag', '🏴󠁧󠁢󠁳󠁣󠁴󠁿'],
    ['a kiss sequence', '👩‍❤️‍💋‍👨'],
  ])('accepts %s', (_, emoji) => {
    expect(emojiSchema.parse(emoji)).toBe(emoji)
  })

  it('adds the emoji presentation selector a keyboard left out', () => {
    expect(emojiSchema.parse('❤')).toBe('❤️')
  })

  it.each([
    ['a letter', 'a'],
    ['a digit', '1'],
    ['two emoji', '😀😀'],
    ['an emoji and a space', '😀 '],
    ['an empty string', ''],
    ['punctuation', '#'],
    ['a lone skin tone modifier followed by text', '🏽x'],
    ['a very long run of joiners', '👩' + '\u200d👩'.repeat(20)],
  ])('refuses %s', (_, emoji) => {
    expect(emojiSchema.safeParse(emoji).success).toBe(false)
  })
})

describe('names', () => {
  it('trims surrounding white space', () => {
    expect(nameSchema.parse('  Ann  ')).toBe('Ann')
  })

  it('counts characters, not UTF-16 units', () => {
    expect(nameSchema.safeParse('😀'.repeat(40)).success).toBe(true)
    expect(nameSchema.safeParse('😀'.repeat(41)).success).toBe(false)
  })

  it.each([
    ['empty', '', 'name must not be empty'],
    ['blank', ' \t ', 'name must not be empty'],
    ['too long', 'x'.repeat(41), 'name must be at most 40 characters'],
    ['with a bell', 'a\u0007', 'name must not contain control characters'],
    [
      'with a newline inside',
      'a\nb',
      'name must not contain control characters',
    ],
    [
      'with a line separator',
      'a\u2028b',
      'name must not contain control characters',
    ],
    [
      'with a C1 control',
      'a\u0085b',
      'name must not contain control characters',
    ],
    [
      'with a lone surrogate',
      'a\ud800b',
      'name must be well-formed Unicode (no lone surrogates)',
    ],
  ])('refuses a name %s with a message saying why', (_, name, message) => {
    const result = nameSchema.safeParse(name)
    expect(result.error?.issues[0]?.message).toBe(message)
  })
})
