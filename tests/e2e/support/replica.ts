import type { BrowserContext, Page } from 'playwright-core'
import { expect } from 'vitest'

import type { Avatar } from '@/sync/mutations'

import type { RunningServer } from './server'

export type ReplicaState = 'loading' | 'ready' | 'unavailable'

/** How long PGlite may take to boot on a busy two-core machine. */
export const REPLICA_TIMEOUT_MS = 60_000

/** Waits for `<html data-replica-state>` to say `state`. */
export async function waitForReplica(
  page: Page,
  state: ReplicaState,
  timeout = REPLICA_TIMEOUT_MS,
): Promise<void> {
  await page.waitForFunction(
    (wanted) => document.documentElement.dataset.replicaState === wanted,
    state,
    { timeout },
  )
}

export function replicaState(page: Page): Promise<string | undefined> {
  return page.evaluate(() => document.documentElement.dataset.replicaState)
}

/** Waits for `<html data-sync-pending>` to say `count`. */
export async function waitForPending(
  page: Page,
  count: number,
  timeout = 30_000,
): Promise<void> {
  await page.waitForFunction(
    (wanted) => document.documentElement.dataset.syncPending === String(wanted),
    count,
    { timeout },
  )
}

export async function isLeader(page: Page): Promise<boolean> {
  return page.evaluate(
    () => document.documentElement.dataset.replicaLeader === 'true',
  )
}

/** Adds an avatar through the form, as a person would. */
export async function addAvatar(page: Page, name: string): Promise<void> {
  await page.getByLabel('Name', { exact: true }).fill(name)
  await page.getByRole('button', { name: 'Add avatar' }).click()
}

/** Waits until the roster shows an avatar with this name. */
export async function waitForAvatar(
  page: Page,
  name: string,
  timeout = 30_000,
): Promise<void> {
  await page
    .locator('[data-testid="avatar-item"] .avatar-name', { hasText: name })
    .first()
    .waitFor({ timeout })
}

export async function shownNames(page: Page): Promise<string[]> {
  return page
    .locator('[data-testid="avatar-item"] .avatar-name')
    .allTextContents()
}

/** The roster as the server has it, asked with the context's cookie. */
export async function serverAvatars(
  context: BrowserContext,
  server: RunningServer,
): Promise<Avatar[]> {
  const response = await context.request.get(`${server.url}/api/avatars`)
  expect(response.status()).toBe(200)
  const body = (await response.json()) as { avatars: Avatar[] }
  return body.avatars
}

/** Polls the server until `check` passes (or fails after `timeout`). */
export async function eventuallyOnServer(
  context: BrowserContext,
  server: RunningServer,
  check: (avatars: Avatar[]) => void,
  timeout = 30_000,
): Promise<Avatar[]> {
  const deadline = Date.now() + timeout
  for (;;) {
    const avatars = await serverAvatars(context, server)
    try {
      check(avatars)
      return avatars
    } catch (error) {
      if (Date.now() > deadline) throw error
    }
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

/** The names of the IndexedDB databases the origin holds. */
export async function databaseNames(page: Page): Promise<string[]> {
  return page.evaluate(async () =>
    (await indexedDB.databases()).flatMap((database) => database.name ?? []),
  )
}

/** Web storage the app must never use. */
export async function webStorageSizes(
  page: Page,
): Promise<{ local: number; session: number }> {
  return page.evaluate(() => ({
    local: localStorage.length,
    session: sessionStorage.length,
  }))
}

/**
 * Errors the page reported, without the ones a test caused on purpose or
 * that belong to other work (the favicon comes with the PWA's icons).
 */
export function unexpected(
  errors: readonly string[],
  allowed: readonly RegExp[] = [],
): string[] {
  const ignored = [/favicon\.ico/, ...allowed]
  return errors.filter(
    (error) => !ignored.some((pattern) => pattern.test(error)),
  )
}

/** With E2E_DEBUG=1, prints the page's console and its API traffic. */
export function debugPage(page: Page, tag: string): void {
  if (process.env.E2E_DEBUG !== '1') return
  const started = Date.now()
  const at = () => `${tag} +${Date.now() - started}ms`
  page.on('console', (message) =>
    console.info(at(), message.type(), message.text()),
  )
  page.on('requestfinished', (request) => {
    if (request.url().includes('/api/')) {
      console.info(at(), request.method(), new URL(request.url()).pathname)
    }
  })
  page.on('requestfailed', (request) =>
    console.info(at(), 'failed', request.url(), request.failure()?.errorText),
  )
}

/** A guest's page with its replica ready and these avatars synced. */
export async function guestWithRoster(
  context: BrowserContext,
  server: RunningServer,
  names: string[],
): Promise<Page> {
  const page = await context.newPage()
  await page.goto(`${server.url}/`)
  await waitForReplica(page, 'ready')
  for (const name of names) {
    await addAvatar(page, name)
    await waitForAvatar(page, name)
  }
  await waitForPending(page, 0)
  await eventuallyOnServer(context, server, (avatars) =>
    expect(avatars.map((avatar) => avatar.name)).toEqual(names),
  )
  return page
}

/** Who the server says the context's cookies speak for. */
export async function viewerOf(
  context: BrowserContext,
  server: RunningServer,
): Promise<{ kind: string; spaceId: string; label: string }> {
  const response = await context.request.get(`${server.url}/api/viewer`)
  return (await response.json()) as {
    kind: string
    spaceId: string
    label: string
  }
}

/** Waits until the page shows exactly these avatar names, in this order. */
export async function waitForNames(
  page: Page,
  names: string[],
  timeout = 30_000,
): Promise<void> {
  await page.waitForFunction(
    (wanted) =>
      JSON.stringify(
        [
          ...document.querySelectorAll(
            '[data-testid="avatar-item"] .avatar-name',
          ),
        ].map((node) => node.textContent),
      ) === JSON.stringify(wanted),
    names,
    { timeout },
  )
}
