import { describe, expect, it } from 'vitest'

import { readEvents } from '@/sync/client/poke-stream'

function streamOf(...chunks: string[]) {
  const encoder = new TextEncoder()
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk))
      controller.close()
    },
  })
}

describe('reading server-sent events', () => {
  it('reports named events, ignoring comments and the retry hint', async () => {
    const events: string[] = []
    await readEvents(
      streamOf(
        'retry: 3000\n: connected\n\n',
        'event: poke\ndata: {}\n\n',
        ': keepalive\n\n',
      ),
      (name) => events.push(name),
    )
    expect(events).toEqual(['poke'])
  })

  it('joins events split across chunks and CRLF line ends', async () => {
    const events: string[] = []
    await readEvents(
      streamOf(
        'eve',
        'nt: po',
        'ke\r\ndata: {}\r',
        '\n\r\nevent: poke\ndata: {}\n',
        '\n',
      ),
      (name) => events.push(name),
    )
    expect(events).toEqual(['poke', 'poke'])
  })
})
