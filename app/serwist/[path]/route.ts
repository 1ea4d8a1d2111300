import { createHash } from 'node:crypto'

import { createSerwistRoute } from '@serwist/turbopack'

/** Pages the worker precaches besides the build's hashed assets. */
const PAGES = ['/offline', '/shell', '/manifest.webmanifest']

interface Entry {
  url: string
  revision?: string | null
}

/**
 * The pages' HTML points at this build's chunks, so their revision must
 * change with every build: it is the build id, read from the folder of the
 * build manifest (the BUILD_ID file is written only after this route is
 * built). Without one, a digest of every other entry stands in.
 */
function buildRevision(entries: Entry[]): string {
  for (const { url } of entries) {
    const id = /static\/([^/]+)\/_buildManifest\.js$/.exec(url)?.[1]
    if (id) return id
  }
  const digest = createHash('sha256')
  for (const { url, revision } of entries)
    digest.update(`${url} ${revision ?? ''}\n`)
  return digest.digest('hex').slice(0, 32)
}

// Built once by `next build` and served as static files:
// /serwist/sw.js and /serwist/sw.js.map.
export const { dynamic, dynamicParams, revalidate, generateStaticParams, GET } =
  createSerwistRoute({
    swSrc: 'sw/sw.ts',
    useNativeEsbuild: true,
    manifestTransforms: [
      (entries) => {
        const revision = buildRevision(entries)
        const pages = PAGES.map((url) => ({ url, revision, size: 0 }))
        return { manifest: [...entries, ...pages], warnings: [] }
      },
    ],
  })
