import { describe, expect, it } from 'vitest'

import {
  guestCookiePolicy,
  guestCookieWarning,
  PLAIN_GUEST_COOKIE,
  SECURE_GUEST_COOKIE,
  withCookie,
} from '@/lib/cookie-policy'

const TTL = 15_552_000

describe('guestCookiePolicy', () => {
  it.each([
    ['https://rollcall.example'],
    ['https://rollcall.example:8443/some/base'],
    ['http://localhost:3000'],
    ['http://localhost'],
    ['http://127.0.0.1:3000'],
    ['http://[::1]:3000'],
  ])('uses a Secure __Host- cookie for %s', (appUrl) => {
    expect(guestCookiePolicy(appUrl, TTL)).toEqual({
      name: SECURE_GUEST_COOKIE,
      secure: true,
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
      maxAge: TTL,
    })
    expect(guestCookieWarning(appUrl)).toBeNull()
  })

  it.each([
    ['http://rollcall.example'],
    ['http://192.168.1.20:3000'],
    ['http://127.0.0.2:3000'],
    ['http://localhost.rollcall.example'],
    ['http://my-localhost:3000'],
  ])('uses a plain, non-Secure cookie for %s', (appUrl) => {
    expect(guestCookiePolicy(appUrl, TTL)).toEqual({
      name: PLAIN_GUEST_COOKIE,
      secure: false,
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
      maxAge: TTL,
    })
  })

  it('never sets a Domain', () => {
    expect(
      guestCookiePolicy('https://rollcall.example', TTL),
    ).not.toHaveProperty('domain')
  })

  it('warns at boot about a plain-HTTP public URL, naming it', () => {
    const warning = guestCookieWarning('http://rollcall.example:8080/app')
    expect(warning).toContain('http://rollcall.example:8080')
    expect(warning).toContain('HTTPS')
  })

  it('names the two cookies differently', () => {
    expect(SECURE_GUEST_COOKIE).toBe('__Host-guest')
    expect(PLAIN_GUEST_COOKIE).toBe('guest')
  })
})

describe('withCookie', () => {
  it.each([
    ['no header', null, '__Host-guest=new'],
    ['an empty header', '', '__Host-guest=new'],
    ['other cookies', 'a=1; b=2', 'a=1; b=2; __Host-guest=new'],
    ['an old value', '__Host-guest=old; a=1', 'a=1; __Host-guest=new'],
    [
      'several old values',
      '__Host-guest=old;a=1;__Host-guest=older',
      'a=1; __Host-guest=new',
    ],
    [
      'a cookie whose name only starts the same',
      '__Host-guest2=keep',
      '__Host-guest2=keep; __Host-guest=new',
    ],
    ['a value containing =', 'a=x=y', 'a=x=y; __Host-guest=new'],
  ])('sets the cookie over %s', (_, header, expected) => {
    expect(withCookie(header, '__Host-guest', 'new')).toBe(expected)
  })
})
