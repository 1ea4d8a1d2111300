import { describe, expect, it } from 'vitest'

import { fieldErrors, signInInput, signUpInput } from '@/lib/account-input'

const valid = {
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  password: 'correct horse 1',
}

function nameError(name: string): string | undefined {
  const parsed = signUpInput.safeParse({ ...valid, name })
  return parsed.success ? undefined : fieldErrors(parsed.error).name
}

describe('sign-up input', () => {
  it('takes a plain name, trimmed, and a lower-cased email', () => {
    expect(
      signUpInput.parse({
        ...valid,
        name: '  Ada ',
        email: ' Ada@Example.COM',
      }),
    ).toEqual({ ...valid, name: 'Ada', email: 'ada@example.com' })
  })

  it.each([
    ['a NUL', 'a\u0000b'],
    ['a line break that could forge a log line', 'x\n[auth] new account'],
    ['another control character', 'Nul\u0001Name'],
    ['a line separator', 'a\u2028b'],
    ['a right-to-left override', 'abc\u202Egnp.exe'],
    ['a directional isolate', 'a\u2067b\u2069'],
  ])('refuses a name with %s, saying why', (_, name) => {
    expect(nameError(name)).toBe(
      'a name cannot hold control or text-direction characters',
    )
  })

  it.each([
    ['zero-width spaces', '\u200B\u200B\u200B'],
    ['a joiner and a word joiner', '\u200D\u2060'],
    ['a Hangul filler', '\u3164'],
    ['spaces around a zero-width space', ' \u200B '],
  ])('refuses a name of only %s', (_, name) => {
    expect(nameError(name)).toBe('a name needs at least one visible character')
  })

  it('refuses a name with a lone surrogate', () => {
    expect(nameError('a\uD800b')).toBe('a name must be well-formed text')
  })

  it('keeps names in any script, with emoji and joiners', () => {
    for (const name of ['Zoë', 'محمد', '李小龙', '👩‍💻 Dev']) {
      expect(nameError(name)).toBeUndefined()
    }
  })

  it('refuses an empty or overlong name', () => {
    expect(nameError('   ')).toBe('enter a name')
    expect(nameError('x'.repeat(201))).toBe('a name has at most 200 characters')
  })
})

describe('sign-in input', () => {
  it('refuses a malformed email beside the email field', () => {
    const parsed = signInInput.safeParse({ email: 'a\u0000@x', password: 'x' })
    expect(parsed.success).toBe(false)
    if (!parsed.success)
      expect(fieldErrors(parsed.error)).toHaveProperty('email')
  })
})
