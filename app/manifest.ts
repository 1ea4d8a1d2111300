import type { MetadataRoute } from 'next'

import { APP_COLORS } from './pwa/app-colors'

/** The web app manifest, served at /manifest.webmanifest. */
export default function manifest(): MetadataRoute.Manifest {
  return {
    id: '/',
    name: 'Rollcall',
    short_name: 'Rollcall',
    description: 'Keep a roster of avatars and mark who is in.',
    start_url: '/',
    scope: '/',
    display: 'standalone',
    background_color: APP_COLORS.light,
    theme_color: APP_COLORS.light,
    icons: [
      {
        src: '/icons/icon-192.png',
        sizes: '192x192',
        type: 'image/png',
        purpose: 'any',
      },
      {
        src: '/icons/icon-512.png',
        sizes: '512x512',
        type: 'image/png',
        purpose: 'any',
      },
      {
        src: '/icons/icon-maskable-512.png',
        sizes: '512x512',
        type: 'image/png',
        purpose: 'maskable',
      },
    ],
  }
}
