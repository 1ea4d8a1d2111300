/**
 * The client's address as seen through `hops` reverse proxies that each
 * append the address they received from to `X-Forwarded-For` (nginx's
 * `$proxy_add_x_forwarded_for`, most load balancers). Entries left of that
 * are whatever the client sent and cannot be trusted. With no proxy at all,
 * Next.js fills the header with the socket's address when the client sent
 * none. Returns `'unknown'` when the header is missing or empty.
 */
export function clientAddress(headers: Headers, hops: number): string {
  const entries = (headers.get('x-forwarded-for') ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
  if (entries.length === 0) return 'unknown'
  const index = Math.max(0, entries.length - hops)
  return normalizeAddress(entries[index]!)
}

// `::ffff:127.0.0.1` and `127.0.0.1` are one client.
function normalizeAddress(address: string): string {
  const lower = address.toLowerCase()
  return lower.startsWith('::ffff:') && lower.includes('.')
    ? lower.slice('::ffff:'.length)
    : lower
}
