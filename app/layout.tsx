import type { Metadata, Viewport } from 'next'
import type { ReactNode } from 'react'

import './globals.css'
import { Providers } from './providers'

const ICON =
  'data:image/svg+xml,' +
  encodeURIComponent(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">' +
      '<text x="50%" y="54" font-size="52" text-anchor="middle">🙋</text>' +
      '</svg>',
  )

export const metadata: Metadata = {
  title: 'Rollcall',
  description: 'Keep a roster of avatars and mark who is in.',
  // Without a declared icon browsers ask for /favicon.ico, which is a 404
  // and an error in every visitor's console.
  icons: { icon: ICON },
}

export const viewport: Viewport = {
  width: 'device-width',
  initialScale: 1,
  colorScheme: 'light dark',
}

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <Providers>{children}</Providers>
      </body>
    </html>
  )
}
