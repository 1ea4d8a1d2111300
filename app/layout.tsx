import type { Metadata, Viewport } from 'next'
import type { ReactNode } from 'react'

import './globals.css'
import { APP_COLORS } from './pwa/app-colors'
import { UpdatePrompt } from './pwa/update-prompt'
import { Providers } from './providers'

export const metadata: Metadata = {
  title: 'Rollcall',
  description: 'Keep a roster of avatars and mark who is in.',
  applicationName: 'Rollcall',
  appleWebApp: { capable: true, title: 'Rollcall', statusBarStyle: 'default' },
  icons: {
    icon: [{ url: '/icons/icon-192.png', sizes: '192x192', type: 'image/png' }],
    apple: [{ url: '/icons/apple-touch-icon.png', sizes: '180x180' }],
  },
}

export const viewport: Viewport = {
  width: 'device-width',
  initialScale: 1,
  colorScheme: 'light dark',
  themeColor: [
    { media: '(prefers-color-scheme: light)', color: APP_COLORS.light },
    { media: '(prefers-color-scheme: dark)', color: APP_COLORS.dark },
  ],
}

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <Providers>{children}</Providers>
        <UpdatePrompt />
      </body>
    </html>
  )
}
