import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'

export interface RunningServer {
  url: string
  port: number
  dataDir: string
  /** Everything the server printed so far. */
  output(): string
  stop(): Promise<void>
}

export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  if (typeof address !== 'object' || !address) throw new Error('no port')
  return address.port
}

function childEnv(extra: Record<string, string | undefined>) {
  // The server sees only what it is given, not the test runner's database
  // settings (so a test run never points a server at a shared database).
  const env: Record<string, string> = {}
  for (const key of ['PATH', 'HOME', 'LANG', 'TMPDIR']) {
    const value = process.env[key]
    if (value) env[key] = value
  }
  for (const [key, value] of Object.entries(extra)) {
    if (value !== undefined) env[key] = value
  }
  return env as NodeJS.ProcessEnv
}

/**
 * Where a server runs: by default a free port and a fresh data dir; given
 * both, a restart of an earlier server on its data and address.
 */
export interface ServerPlace {
  port?: number
  dataDir?: string
  /** Leave the data dir on disk when the server stops. */
  keepData?: boolean
}

/** Spawns `next start` on a free port; does not wait for it. */
export async function spawnServer(
  env: Record<string, string | undefined> = {},
  place: ServerPlace = {},
): Promise<{
  child: ChildProcess
  port: number
  dataDir: string
  output: () => string
}> {
  const port = place.port ?? (await freePort())
  const dataDir =
    place.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'rollcall-e2e-')))
  const child = spawn(
    'node_modules/.bin/next',
    ['start', '--hostname', 'localhost', '--port', String(port)],
    {
      env: childEnv({
        NODE_ENV: 'production',
        NEXT_TELEMETRY_DISABLED: '1',
        APP_URL: `http://localhost:${port}`,
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        ...env,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let output = ''
  child.stdout?.on('data', (chunk) => (output += chunk))
  child.stderr?.on('data', (chunk) => (output += chunk))
  return { child, port, dataDir, output: () => output }
}

/**
 * Starts a production server and waits for it: on a fresh embedded database
 * and a free port, or on `place` (an earlier server's port and data dir).
 */
export async function startServer(
  env: Record<string, string | undefined> = {},
  place: ServerPlace = {},
): Promise<RunningServer> {
  const { child, port, dataDir, output } = await spawnServer(env, place)
  const url = `http://localhost:${port}`
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  )

  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`server exited (${child.exitCode}):\n${output()}`)
    }
    try {
      const response = await fetch(`${url}/api/viewer`)
      if (response.status === 200) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`server did not start in time:\n${output()}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }

  return {
    url,
    port,
    dataDir,
    output,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
        await exited
        clearTimeout(timer)
      }
      if (!place.keepData) await rm(dataDir, { recursive: true, force: true })
    },
  }
}
