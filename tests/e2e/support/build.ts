import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'

/**
 * Builds the app once for the whole run. E2E_SKIP_BUILD=1 reuses an existing
 * build (handy while iterating on the tests alone).
 */
export default function setup() {
  if (process.env.E2E_SKIP_BUILD === '1' && existsSync('.next/BUILD_ID')) return
  execFileSync('npx', ['next', 'build'], {
    stdio: 'inherit',
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
  })
}
