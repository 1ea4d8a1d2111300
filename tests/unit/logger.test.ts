import { describe, expect, it, vi } from 'vitest'

import { createLogger, setLogLevel } from '@/lib/logger'

describe('logger', () => {
  it('keeps one event on one line, escaping control characters', () => {
    const info = vi.spyOn(console, 'info').mockImplementation(() => {})
    createLogger('sync').info('name "a\nb"\r\u2028 [boot] forged')
    expect(info).toHaveBeenCalledWith(
      '[sync] name "a\\u000ab"\\u000d\\u2028 [boot] forged',
    )
    info.mockRestore()
  })

  it('logs a failed query by its database error, not its SQL or parameters', () => {
    const lines: string[] = []
    vi.mocked(console.error).mockImplementation((line: string) => {
      lines.push(line)
    })
    const cause = Object.assign(new Error('value too long'), { code: '22001' })
    const error = new Error(
      'Failed query: insert into avatars values ($1)\nparams: secret-name',
      { cause },
    )

    createLogger('api').error('request failed', error)

    expect(lines).toEqual([
      '[api] request failed (Error: query failed: 22001 value too long)',
    ])
  })

  it('stays quiet below its level', () => {
    const info = vi.spyOn(console, 'info').mockImplementation(() => {})
    setLogLevel('warn')
    createLogger('x').info('hidden')
    setLogLevel('info')
    expect(info).not.toHaveBeenCalled()
    info.mockRestore()
  })
})
