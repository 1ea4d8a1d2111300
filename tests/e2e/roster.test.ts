import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { launchBrowser, watchErrors } from './support/browser'
import { waitForReplica } from './support/replica'
import {
  avatarItem,
  avatarItems,
  apiAs,
  guestToken,
  isFocused,
  openRoster,
  rosterFromApi,
  seedRoster,
  shownRoster,
  pushes,
  tabTo,
  waitForHydration,
  type WriteKind,
  writing,
} from './support/roster-page'
import { type RunningServer, startServer } from './support/server'

let server: RunningServer
let browser: Browser

beforeAll(async () => {
  ;[server, browser] = await Promise.all([startServer(), launchBrowser()])
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

const FINAL_ROSTER = [
  { emoji: '🦉', name: 'Grace Hopper', isActive: false },
  { emoji: '🦊', name: 'Ada', isActive: true },
]

function nameInput(page: Page) {
  return page.getByLabel('Name', { exact: true })
}

function commonEmoji(page: Page, emoji: string) {
  return page
    .getByRole('group', { name: 'Common emoji' })
    .getByRole('button', { name: emoji, exact: true })
}

function typedEmoji(page: Page) {
  return page.getByLabel('Chosen emoji (pick above, or type any)')
}

function button(page: Page, name: string) {
  return page.getByRole('button', { name, exact: true })
}

/** What the page and the API say, without ids and positions. */
async function observed(page: Page) {
  const strip = ({ emoji, name, isActive }: (typeof FINAL_ROSTER)[number]) => ({
    emoji,
    name,
    isActive,
  })
  return {
    shown: (await shownRoster(page)).map(strip),
    api: (await rosterFromApi(page)).map(strip),
    count: await page.locator('.roster-count').textContent(),
  }
}

async function expectFinalRoster(page: Page) {
  expect(await observed(page)).toEqual({
    shown: FINAL_ROSTER,
    api: FINAL_ROSTER,
    count: '2 avatars, 1 active',
  })
}

/** Reloads and waits until the page takes input again. */
async function reload(page: Page) {
  await page.reload()
  await waitForHydration(page)
}

describe('editing the roster with a pointer', () => {
  it('adds, renames, re-emojis, toggles, reorders and deletes, and all of it survives a reload', async () => {
    const { page, errors, close } = await openRoster(browser, server.url)
    await expect
      .poll(() => page.getByText('No avatars yet').isVisible())
      .toBe(true)

    const add = async (name: string, pick: () => Promise<void>) => {
      await nameInput(page).fill(name)
      await pick()
      await writing(page, 'create', () => button(page, 'Add avatar').click())
    }
    await add('Ada', () => commonEmoji(page, '🦊').click())
    await add('Grace', () => commonEmoji(page, '🐼').click())
    await add('Linus', () => typedEmoji(page).fill('🐧'))
    expect((await shownRoster(page)).map((avatar) => avatar.name)).toEqual([
      'Ada',
      'Grace',
      'Linus',
    ])

    await button(page, 'Rename Grace').click()
    await page.getByLabel('New name for Grace').fill('Grace Hopper')
    await writing(page, 'update', () =>
      button(page, 'Save name for Grace').click(),
    )

    await button(page, 'Change emoji for Grace Hopper').click()
    await writing(page, 'update', () =>
      button(page, 'Use 🦉 for Grace Hopper').click(),
    )

    await writing(page, 'update', () =>
      page.getByRole('checkbox', { name: 'Ada is active' }).check(),
    )

    await writing(page, 'update', () => button(page, 'Move Linus up').click())
    await writing(page, 'update', () => button(page, 'Move Linus up').click())
    await writing(page, 'update', () =>
      button(page, 'Move Grace Hopper up').click(),
    )
    expect((await shownRoster(page)).map((avatar) => avatar.name)).toEqual([
      'Linus',
      'Grace Hopper',
      'Ada',
    ])

    await writing(page, 'delete', () => button(page, 'Delete Linus').click())
    await expectFinalRoster(page)

    await reload(page)
    await expectFinalRoster(page)
    expect(errors).toEqual([])
    await close()
  })
})

describe('editing the roster with the keyboard alone', () => {
  it('does the whole flow with Tab, Shift+Tab, Enter, Space and Escape', async () => {
    const { page, errors, close } = await openRoster(browser, server.url)
    const updates: string[] = []
    page.on('request', (request) => {
      if (pushes(request, 'update')) updates.push(request.url())
    })

    // Add three: pick from the grid with Space, submit with Enter.
    await tabTo(page, nameInput(page))
    await page.keyboard.type('Ada')
    await tabTo(page, commonEmoji(page, '🦊'))
    await page.keyboard.press('Space')
    await tabTo(page, button(page, 'Add avatar'))
    await writing(page, 'create', () => page.keyboard.press('Enter'))
    expect(await isFocused(nameInput(page))).toBe(true)

    await page.keyboard.type('Grace')
    await tabTo(page, commonEmoji(page, '🐼'))
    await page.keyboard.press('Space')
    await tabTo(page, nameInput(page), { backwards: true })
    await writing(page, 'create', () => page.keyboard.press('Enter'))

    // The third types its emoji and submits from the emoji field.
    await page.keyboard.type('Linus')
    await tabTo(page, typedEmoji(page))
    await page.keyboard.press('ControlOrMeta+A')
    await page.keyboard.type('🐧')
    await writing(page, 'create', () => page.keyboard.press('Enter'))
    expect((await shownRoster(page)).map((avatar) => avatar.name)).toEqual([
      'Ada',
      'Grace',
      'Linus',
    ])

    // Rename: Enter opens the field, Enter saves, focus comes back.
    await tabTo(page, button(page, 'Rename Grace'), { backwards: true })
    await page.keyboard.press('Enter')
    expect(await isFocused(page.getByLabel('New name for Grace'))).toBe(true)
    await page.keyboard.press('ControlOrMeta+A')
    await page.keyboard.type('Grace Hopper')
    await writing(page, 'update', () => page.keyboard.press('Enter'))
    expect(await isFocused(button(page, 'Rename Grace Hopper'))).toBe(true)

    // Escape abandons a rename without a request.
    await tabTo(page, button(page, 'Rename Ada'), { backwards: true })
    await page.keyboard.press('Enter')
    await page.keyboard.type(' Lovelace')
    const before = updates.length
    await page.keyboard.press('Escape')
    expect(await isFocused(button(page, 'Rename Ada'))).toBe(true)
    expect(await page.getByLabel('New name for Ada').count()).toBe(0)

    // Emoji: Escape closes the choices untouched; Space picks one.
    const emojiToggle = button(page, 'Change emoji for Grace Hopper')
    await tabTo(page, emojiToggle)
    await page.keyboard.press('Enter')
    expect(await isFocused(button(page, 'Use 🐼 for Grace Hopper'))).toBe(true)
    await page.keyboard.press('Escape')
    expect(await emojiToggle.getAttribute('aria-expanded')).toBe('false')
    expect(await isFocused(emojiToggle)).toBe(true)
    expect(updates.length).toBe(before)

    await page.keyboard.press('Enter')
    await tabTo(page, button(page, 'Use 🦉 for Grace Hopper'))
    await writing(page, 'update', () => page.keyboard.press('Space'))
    expect(await isFocused(emojiToggle)).toBe(true)

    // Toggle with Space.
    const adaActive = page.getByRole('checkbox', { name: 'Ada is active' })
    await tabTo(page, adaActive, { backwards: true })
    await writing(page, 'update', () => page.keyboard.press('Space'))
    expect(await adaActive.isChecked()).toBe(true)

    // Move Linus to the top; focus stays on a move button of his row.
    await tabTo(page, button(page, 'Move Linus up'))
    await writing(page, 'update', () => page.keyboard.press('Enter'))
    expect(await isFocused(button(page, 'Move Linus up'))).toBe(true)
    await writing(page, 'update', () => page.keyboard.press('Enter'))
    expect(await button(page, 'Move Linus up').isDisabled()).toBe(true)
    expect(await isFocused(button(page, 'Move Linus down'))).toBe(true)

    await tabTo(page, button(page, 'Move Grace Hopper up'))
    await writing(page, 'update', () => page.keyboard.press('Enter'))
    expect((await shownRoster(page)).map((avatar) => avatar.name)).toEqual([
      'Linus',
      'Grace Hopper',
      'Ada',
    ])

    // Delete: focus goes to the roster heading, not to <body>.
    await tabTo(page, button(page, 'Delete Linus'), { backwards: true })
    await writing(page, 'delete', () => page.keyboard.press('Enter'))
    expect(await isFocused(page.getByRole('heading', { name: 'Roster' }))).toBe(
      true,
    )
    await expectFinalRoster(page)

    await reload(page)
    await expectFinalRoster(page)
    expect(errors).toEqual([])
    await close()
  })
})

function seed(page: Page, names: string[]): Promise<string[]> {
  return seedRoster(
    page,
    server.url,
    names.map((name) => ({ name })),
  )
}

describe('two guests', () => {
  it('shows a second browser context none of the first guest’s roster, and refuses it the first guest’s ids', async () => {
    const first = await openRoster(browser, server.url)
    const [adaId = '', bobId = ''] = await seed(first.page, ['Ada', 'Bob'])

    const second = await openRoster(browser, server.url)
    await expect
      .poll(() => second.page.getByText('No avatars yet').isVisible())
      .toBe(true)
    expect(await avatarItems(second.page).count()).toBe(0)
    expect(await rosterFromApi(second.page)).toEqual([])

    const token = await guestToken(second.page, server.url)
    const patch = await apiAs(
      server.url,
      token,
      'PATCH',
      `/api/avatars/${adaId}`,
      {
        body: { name: 'Taken over' },
      },
    )
    expect(patch.status).toBe(404)
    expect(await patch.json()).toMatchObject({
      error: { code: 'avatar/not-found' },
    })
    const remove = await apiAs(
      server.url,
      token,
      'DELETE',
      `/api/avatars/${bobId}`,
    )
    expect(remove.status).toBe(404)
    expect(await remove.json()).toMatchObject({
      error: { code: 'avatar/not-found' },
    })
    const create = await apiAs(server.url, token, 'POST', '/api/avatars', {
      body: { id: adaId, name: 'Copy', emoji: '👻' },
    })
    expect(create.status).toBe(409)

    // The second guest's own avatar stays with the second guest.
    await nameInput(second.page).fill('Eve')
    await writing(second.page, 'create', () =>
      button(second.page, 'Add avatar').click(),
    )

    await reload(first.page)
    const expected = [
      { id: adaId, name: 'Ada', emoji: '🐶', isActive: false },
      { id: bobId, name: 'Bob', emoji: '🐶', isActive: false },
    ]
    expect(await shownRoster(first.page)).toEqual(expected)
    expect(await rosterFromApi(first.page)).toMatchObject(expected)
    expect([...first.errors, ...second.errors]).toEqual([])
    await Promise.all([first.close(), second.close()])
  })
})

describe('server errors appear next to what caused them', () => {
  /**
   * A guest whose browser cannot run the replica (its wasm download
   * fails), so every write goes straight to `/api/sync` and a refusal
   * comes back to the control that made it.
   */
  async function openWithoutReplica() {
    const context = await browser.newContext({ serviceWorkers: 'block' })
    await context.route('**/*.wasm', (route) => route.abort())
    const page = await context.newPage()
    const errors = watchErrors(page)
    await page.goto(server.url)
    await waitForHydration(page)
    await waitForReplica(page, 'unavailable')
    return { page, errors, close: () => context.close() }
  }

  /** Answers the next push of this kind with an error, once. */
  async function refuseNext(
    page: Page,
    kind: WriteKind,
    status: number,
    error: { code: string; message: string; field?: string },
  ) {
    let refused = false
    await page.route('**/api/sync', (route) => {
      if (refused || !pushes(route.request(), kind)) return route.fallback()
      refused = true
      return route.fulfill({
        status,
        contentType: 'application/json',
        body: JSON.stringify({ error }),
      })
    })
  }

  /**
   * The errors left once the console lines Chromium prints for the
   * refused response and the aborted wasm download are set aside.
   */
  function onlyRefusals(errors: string[], status: number) {
    return errors.filter(
      (error) =>
        !error.includes(`responded with a status of ${status}`) &&
        !/Failed to load resource.*\.wasm/.test(error),
    )
  }

  it('shows a refused rename under the name field of that avatar, then saves once fixed', async () => {
    const { page, errors, close } = await openWithoutReplica()
    await seed(page, ['Ada', 'Bob'])
    await refuseNext(page, 'update', 400, {
      code: 'mutation/invalid',
      message: 'that name is reserved',
      field: 'name',
    })

    await button(page, 'Rename Ada').click()
    await page.getByLabel('New name for Ada').fill('Admin')
    await writing(page, 'update', () =>
      button(page, 'Save name for Ada').click(),
    )

    const ada = avatarItem(page, 'Ada')
    const field = ada.getByLabel('New name for Ada')
    await expect
      .poll(() => ada.getByRole('alert').textContent())
      .toBe('that name is reserved')
    expect(await field.inputValue()).toBe('Admin')
    expect(await field.getAttribute('aria-invalid')).toBe('true')
    expect(await isFocused(field)).toBe(true)
    expect(await avatarItem(page, 'Bob').getByRole('alert').count()).toBe(0)
    expect(await page.locator('form.add-form [role="alert"]').count()).toBe(0)
    expect((await rosterFromApi(page)).map(({ name }) => name)).toEqual([
      'Ada',
      'Bob',
    ])

    await field.fill('Ada L.')
    expect(await ada.getByRole('alert').count()).toBe(0)
    await writing(page, 'update', () =>
      button(page, 'Save name for Ada').click(),
    )
    await expect
      .poll(async () => (await shownRoster(page)).map(({ name }) => name))
      .toEqual(['Ada L.', 'Bob'])
    expect(onlyRefusals(errors, 400)).toEqual([])
    await close()
  })

  it('shows a refused toggle in that row and puts the checkbox back', async () => {
    const { page, errors, close } = await openWithoutReplica()
    await seed(page, ['Ada', 'Bob'])
    await refuseNext(page, 'update', 409, {
      code: 'space/busy',
      message: 'the roster changed meanwhile',
    })

    const checkbox = page.getByRole('checkbox', { name: 'Bob is active' })
    // click, not check(): the refusal may undo the tick before check() looks.
    await writing(page, 'update', () => checkbox.click())

    const bob = avatarItem(page, 'Bob')
    await expect
      .poll(() => bob.getByRole('alert').textContent())
      .toBe('Couldn’t change active: the roster changed meanwhile')
    await expect.poll(() => checkbox.isChecked()).toBe(false)
    expect(await avatarItem(page, 'Ada').getByRole('alert').count()).toBe(0)
    expect(onlyRefusals(errors, 409)).toEqual([])
    await close()
  })

  it('shows a refused emoji change in that row and keeps the old emoji', async () => {
    const { page, errors, close } = await openWithoutReplica()
    await seed(page, ['Ada'])
    await refuseNext(page, 'update', 400, {
      code: 'mutation/invalid',
      message: 'emoji must be exactly one emoji',
      field: 'emoji',
    })

    await button(page, 'Change emoji for Ada').click()
    await writing(page, 'update', () => button(page, 'Use 🦄 for Ada').click())

    const ada = avatarItem(page, 'Ada')
    await expect
      .poll(() => ada.getByRole('alert').textContent())
      .toBe('Couldn’t change the emoji: emoji must be exactly one emoji')
    await expect
      .poll(async () => (await shownRoster(page))[0]?.emoji)
      .toBe('🐶')
    expect(onlyRefusals(errors, 400)).toEqual([])
    await close()
  })

  it('puts back a row whose delete failed, with the reason in it', async () => {
    const { page, errors, close } = await openWithoutReplica()
    await seed(page, ['Ada', 'Bob'])
    await refuseNext(page, 'delete', 503, {
      code: 'server/unavailable',
      message: 'try again in a minute',
    })

    await writing(page, 'delete', () => button(page, 'Delete Bob').click())

    const bob = avatarItem(page, 'Bob')
    await expect
      .poll(() => bob.getByRole('alert').textContent())
      .toBe('Couldn’t delete Bob: try again in a minute')
    expect((await shownRoster(page)).map(({ name }) => name)).toEqual([
      'Ada',
      'Bob',
    ])
    expect(onlyRefusals(errors, 503)).toEqual([])
    await close()
  })

  it('shows a refused add under the name field and gives the name back', async () => {
    const { page, errors, close } = await openWithoutReplica()
    await refuseNext(page, 'create', 400, {
      code: 'mutation/invalid',
      message: 'name must not be a number',
      field: 'name',
    })

    await nameInput(page).fill('42')
    await writing(page, 'create', () => button(page, 'Add avatar').click())

    const form = page.locator('form.add-form')
    await expect
      .poll(() => form.getByRole('alert').textContent())
      .toBe('name must not be a number')
    expect(await nameInput(page).inputValue()).toBe('42')
    expect(await nameInput(page).getAttribute('aria-invalid')).toBe('true')
    expect(await avatarItems(page).count()).toBe(0)
    expect(await rosterFromApi(page)).toEqual([])
    expect(onlyRefusals(errors, 400)).toEqual([])
    await close()
  })
})
