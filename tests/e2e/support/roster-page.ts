import { randomUUID } from 'node:crypto'
import { createRequire } from 'node:module'

import type {
  Browser,
  BrowserContextOptions,
  Locator,
  Page,
  Request,
} from 'playwright-core'

import { watchErrors } from './browser'

/** The guest cookie's name for a server reached at http://localhost. */
export const GUEST_COOKIE = '__Host-guest'

export interface SetCookie {
  name: string
  value: string
  /** Attribute names in lower case; flags map to `true`. */
  attributes: Map<string, string | true>
}

/** Parses one `Set-Cookie` header line. */
export function parseSetCookie(line: string): SetCookie {
  const [pair = '', ...rest] = line.split(';').map((part) => part.trim())
  const equals = pair.indexOf('=')
  const attributes = new Map<string, string | true>()
  for (const part of rest) {
    if (part === '') continue
    const at = part.indexOf('=')
    if (at === -1) attributes.set(part.toLowerCase(), true)
    else attributes.set(part.slice(0, at).toLowerCase(), part.slice(at + 1))
  }
  return {
    name: pair.slice(0, equals),
    value: pair.slice(equals + 1),
    attributes,
  }
}

/** The guest cookie among `Set-Cookie` lines, or undefined. */
export function findGuestCookie(lines: string[]): SetCookie | undefined {
  return lines
    .flatMap((line) => line.split('\n'))
    .map(parseSetCookie)
    .find((cookie) => cookie.name === GUEST_COOKIE)
}

/** What a guest token says about itself; read without verifying. */
export interface GuestTokenView {
  header: { alg?: string; kid?: string }
  payload: { sub?: string; typ?: string; iat?: number; exp?: number }
}

export function decodeToken(token: string): GuestTokenView {
  const [header = '', payload = ''] = token.split('.')
  const decode = (part: string) =>
    JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
  return { header: decode(header), payload: decode(payload) }
}

/** The label the app shows for a guest id. */
export function labelFor(guestId: string): string {
  return `Guest ${guestId.slice(0, 4)}`
}

export interface GuestPage {
  page: Page
  errors: string[]
  close(): Promise<void>
}

/**
 * A new browser context (a new guest) with one page on the roster, ready
 * for input: the page has hydrated, so clicks reach React, not the browser's
 * default form handling.
 */
export async function openRoster(
  browser: Browser,
  url: string,
  options: BrowserContextOptions = {},
): Promise<GuestPage> {
  const context = await browser.newContext(options)
  const page = await context.newPage()
  const errors = watchErrors(page)
  await page.goto(url)
  await waitForHydration(page)
  return { page, errors, close: () => context.close() }
}

/**
 * Waits until React has taken over the server-rendered add form. React
 * marks the elements it hydrates with its own properties; nothing in the
 * UI changes visibly at that moment, so this is the one reliable signal.
 */
export async function waitForHydration(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const form = document.querySelector('form')
    return (
      form !== null &&
      Object.keys(form).some((key) => key.startsWith('__reactProps'))
    )
  })
}

export function avatarItems(page: Page): Locator {
  return page.getByTestId('avatar-item')
}

/** One avatar row, found by the name it shows. */
export function avatarItem(page: Page, name: string): Locator {
  return avatarItems(page).filter({
    has: page.getByRole('button', { name: `Delete ${name}`, exact: true }),
  })
}

export interface ShownAvatar {
  id: string
  emoji: string
  name: string
  isActive: boolean
}

/** The roster as the page shows it, top to bottom. */
export function shownRoster(page: Page): Promise<ShownAvatar[]> {
  return avatarItems(page).evaluateAll((items) =>
    items.map((item) => {
      const emoji = item.querySelector('button[aria-expanded]')
      const name = item.querySelector('p[title]')
      const active = item.querySelector('input[type="checkbox"]')
      return {
        id: item.getAttribute('data-avatar-id') ?? '',
        emoji: emoji?.textContent ?? '',
        name: name?.getAttribute('title') ?? '',
        isActive: active instanceof HTMLInputElement && active.checked,
      }
    }),
  )
}

export interface ApiAvatar extends ShownAvatar {
  position: string
  version: number
}

/** GET /api/avatars from inside the page, as the app's own scripts would. */
export async function rosterFromApi(page: Page): Promise<ApiAvatar[]> {
  const body = await page.evaluate(async () => {
    const response = await fetch('/api/avatars', {
      headers: { Accept: 'application/json' },
    })
    return { status: response.status, json: await response.json() }
  })
  if (body.status !== 200) {
    throw new Error(`GET /api/avatars answered ${body.status}`)
  }
  return (body.json as { avatars: ApiAvatar[] }).avatars
}

/** GET /api/viewer from inside the page. */
export function viewerFromApi(
  page: Page,
): Promise<{ kind: string; spaceId: string; label: string }> {
  return page.evaluate(async () => {
    const response = await fetch('/api/viewer')
    return response.json()
  })
}

/** The kinds of write the UI makes, by the sync mutations they send. */
export type WriteKind = 'create' | 'update' | 'delete'

const MUTATIONS_OF: Record<WriteKind, string[]> = {
  create: ['createAvatar'],
  update: ['renameAvatar', 'setEmoji', 'setActive', 'moveAvatar'],
  delete: ['deleteAvatar'],
}

/**
 * The names of the mutations a request pushes to `/api/sync`; empty for
 * any other request and for a round that only pulls.
 */
export function pushedMutations(request: Request): string[] {
  if (request.method() !== 'POST') return []
  if (new URL(request.url()).pathname !== '/api/sync') return []
  try {
    const body = request.postDataJSON() as { mutations?: { name: string }[] }
    return (body.mutations ?? []).map((mutation) => mutation.name)
  } catch {
    return []
  }
}

/** Whether a request pushes a mutation of this kind. */
export function pushes(request: Request, kind: WriteKind): boolean {
  return pushedMutations(request).some((name) =>
    MUTATIONS_OF[kind].includes(name),
  )
}

/**
 * Resolves when the next push carrying a write of this kind has been
 * answered. The page writes through `/api/sync` whether its replica is
 * ready (the engine pushes the outbox) or not (each write goes straight
 * to the server).
 */
export function apiWrite(page: Page, kind: WriteKind): Promise<unknown> {
  return page.waitForResponse((response) => pushes(response.request(), kind))
}

/** Runs `action` and waits for the push it causes to be answered. */
export async function writing(
  page: Page,
  kind: WriteKind,
  action: () => Promise<unknown>,
): Promise<void> {
  const answered = apiWrite(page, kind)
  await action()
  await answered
}

/** Whether the element is the page's focused element. */
export function isFocused(locator: Locator): Promise<boolean> {
  return locator.evaluate((element) => element === document.activeElement)
}

/**
 * Presses Tab (or Shift+Tab) until `target` has focus; fails after `limit`
 * presses, so a control the keyboard cannot reach fails the test.
 */
export async function tabTo(
  page: Page,
  target: Locator,
  { backwards = false, limit = 80 } = {},
): Promise<void> {
  for (let presses = 0; presses <= limit; presses += 1) {
    if (await isFocused(target)) return
    await page.keyboard.press(backwards ? 'Shift+Tab' : 'Tab')
  }
  throw new Error(`${target} not reached within ${limit} presses`)
}

const require = createRequire(import.meta.url)
const axeSource: string = (require('axe-core') as { source: string }).source

export interface AxeFinding {
  id: string
  impact: string | null
  help: string
  targets: string[]
}

/** Runs axe-core on the page; returns the serious and critical violations. */
export async function seriousViolations(page: Page): Promise<AxeFinding[]> {
  await page.addScriptTag({ content: axeSource })
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: AxeGlobal }).axe
    const results = await axe.run(document, { resultTypes: ['violations'] })
    return results.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      targets: violation.nodes.map((node) => node.target.join(' ')),
    }))
  })
  return violations.filter(
    (violation) =>
      violation.impact === 'serious' || violation.impact === 'critical',
  )
}

interface AxeGlobal {
  run(
    context: Document,
    options: { resultTypes: string[] },
  ): Promise<{
    violations: {
      id: string
      impact: string | null
      help: string
      nodes: { target: string[] }[]
    }[]
  }>
}

/**
 * A request to the server's API carrying a guest's cookie, as a script
 * outside the browser would send it (no Origin, no Sec-Fetch-* headers).
 */
export function apiAs(
  baseUrl: string,
  token: string,
  method: string,
  pathname: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<Response> {
  const { body, headers = {} } = options
  return fetch(`${baseUrl}${pathname}`, {
    method,
    headers: {
      Cookie: `${GUEST_COOKIE}=${token}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    redirect: 'manual',
  })
}

/** The guest cookie the page's browser context holds. */
export async function guestToken(page: Page, baseUrl: string): Promise<string> {
  const cookies = await page.context().cookies(baseUrl)
  const cookie = cookies.find(({ name }) => name === GUEST_COOKIE)
  if (!cookie) throw new Error('the page has no guest cookie')
  return cookie.value
}

export interface SeedAvatar {
  name: string
  emoji?: string
  isActive?: boolean
}

/**
 * Gives the page's guest these avatars through the API, in order, then
 * reloads the page so it shows them. Returns their ids.
 */
export async function seedRoster(
  page: Page,
  baseUrl: string,
  avatars: SeedAvatar[],
): Promise<string[]> {
  const token = await guestToken(page, baseUrl)
  const ids: string[] = []
  for (const { name, emoji = '🐶', isActive = false } of avatars) {
    const id = randomUUID()
    const response = await apiAs(baseUrl, token, 'POST', '/api/avatars', {
      body: { id, name, emoji, isActive },
    })
    if (response.status !== 201) {
      throw new Error(`seeding ${name} answered ${response.status}`)
    }
    ids.push(id)
  }
  await page.reload()
  await waitForHydration(page)
  return ids
}
