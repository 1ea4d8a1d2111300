import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { launchBrowser } from './support/browser'
import {
  openRoster,
  seedRoster,
  seriousViolations,
  shownRoster,
  type SeedAvatar,
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

// The longest names the app accepts, one without a single break opportunity.
const LONG_NAME = 'Wolfgang-Amadeus-Theophilus-Mozart-Junio'
const WIDE_NAME = 'W'.repeat(40)

const FILLED: SeedAvatar[] = [
  { name: 'Ada', emoji: '🦊', isActive: true },
  { name: LONG_NAME, emoji: '🐙' },
  { name: WIDE_NAME, emoji: '🚀', isActive: true },
]

function button(page: Page, name: string) {
  return page.getByRole('button', { name, exact: true })
}

/**
 * Opens what a person would open while editing: a rename field with a long
 * draft, an emoji panel, and the add form's own error.
 */
async function openEditors(page: Page) {
  await button(page, `Rename ${LONG_NAME}`).click()
  await page.getByLabel(`New name for ${LONG_NAME}`).fill(WIDE_NAME)
  await button(page, 'Change emoji for Ada').click()
  await button(page, 'Add avatar').click()
  await expect
    .poll(() => page.locator('form.add-form [role="alert"]').textContent())
    .toBe('name must not be empty')
}

describe('axe-core finds no serious or critical violations', () => {
  it('on the empty roster', async () => {
    const { page, errors, close } = await openRoster(browser, server.url)
    expect(await page.getByText('No avatars yet').isVisible()).toBe(true)
    expect(await seriousViolations(page)).toEqual([])
    expect(errors).toEqual([])
    await close()
  })

  it.each(['light', 'dark'] as const)(
    'on a filled roster with editors open, %s scheme',
    async (colorScheme) => {
      const { page, errors, close } = await openRoster(browser, server.url, {
        colorScheme,
      })
      await seedRoster(page, server.url, FILLED)
      await openEditors(page)
      expect(await seriousViolations(page)).toEqual([])
      expect(errors).toEqual([])
      await close()
    },
  )
})

interface Overflow {
  viewport: number
  scrollWidth: number
  clientWidth: number
  /** Controls that reach past either edge of the viewport. */
  outside: string[]
  controls: number
}

function measureOverflow(page: Page): Promise<Overflow> {
  return page.evaluate(() => {
    const root = document.scrollingElement ?? document.documentElement
    const width = root.clientWidth
    const controls = [...document.querySelectorAll('button, input')].filter(
      (element) => {
        const box = element.getBoundingClientRect()
        return box.width > 0 && box.height > 0
      },
    )
    const outside = controls
      .filter((element) => {
        const box = element.getBoundingClientRect()
        return box.left < 0 || box.right > width
      })
      .map(
        (element) =>
          element.getAttribute('aria-label') ??
          element.textContent ??
          element.outerHTML,
      )
    return {
      viewport: window.innerWidth,
      scrollWidth: root.scrollWidth,
      clientWidth: width,
      outside,
      controls: controls.length,
    }
  })
}

describe('on a 390×844 phone', () => {
  const phone = {
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
    deviceScaleFactor: 3,
  }

  it('shows every control without horizontal scrolling, with 40-character names', async () => {
    expect([...LONG_NAME]).toHaveLength(40)
    const { page, errors, close } = await openRoster(browser, server.url, phone)

    const empty = await measureOverflow(page)
    expect(empty.viewport).toBe(390)
    expect(empty.outside).toEqual([])
    expect(empty.scrollWidth).toBeLessThanOrEqual(empty.clientWidth)

    await seedRoster(page, server.url, FILLED)
    expect((await shownRoster(page)).map(({ name }) => name)).toEqual(
      FILLED.map(({ name }) => name),
    )
    const filled = await measureOverflow(page)
    expect(filled.outside).toEqual([])
    expect(filled.scrollWidth).toBeLessThanOrEqual(filled.clientWidth)
    // Six controls per row, more in the add form.
    expect(filled.controls).toBeGreaterThan(FILLED.length * 6)

    await openEditors(page)
    const editing = await measureOverflow(page)
    expect(editing.outside).toEqual([])
    expect(editing.scrollWidth).toBeLessThanOrEqual(editing.clientWidth)
    expect(editing.controls).toBeGreaterThan(filled.controls)

    expect(await seriousViolations(page)).toEqual([])
    expect(errors).toEqual([])
    await close()
  })
})
