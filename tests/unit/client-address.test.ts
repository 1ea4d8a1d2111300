import { describe, expect, it } from 'vitest'

import { clientAddress } from '@/lib/client-address'

const headers = (xff?: string) =>
  new Headers(xff === undefined ? {} : { 'x-forwarded-for': xff })

describe('clientAddress', () => {
  it.each([
    ['the only entry, with one hop', '203.0.113.7', 1, '203.0.113.7'],
    ['the entry the proxy appended', '6.6.6.6, 203.0.113.7', 1, '203.0.113.7'],
    [
      'the entry two hops in',
      '6.6.6.6, 203.0.113.7, 10.0.0.2',
      2,
      '203.0.113.7',
    ],
    [
      'the leftmost when there are fewer entries than hops',
      '203.0.113.7',
      3,
      '203.0.113.7',
    ],
    ['an IPv4-mapped IPv6 address as IPv4', '::ffff:127.0.0.1', 1, '127.0.0.1'],
    ['IPv6 lower-cased', '2001:DB8::1', 1, '2001:db8::1'],
  ])('reads %s', (_, xff, hops, expected) => {
    expect(clientAddress(headers(xff), hops)).toBe(expected)
  })

  it('answers unknown without the header or with an empty one', () => {
    expect(clientAddress(headers(), 1)).toBe('unknown')
    expect(clientAddress(headers(' , '), 1)).toBe('unknown')
  })
})
