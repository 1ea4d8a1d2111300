import { withSerwist } from '@serwist/turbopack'
import type { NextConfig } from 'next'

const nextConfig: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // PGlite ships its own wasm and data files; bundling it into the server
  // build breaks their relative paths, so Node loads it from node_modules.
  serverExternalPackages: ['@electric-sql/pglite'],
  experimental: {
    // The proxy runs on every /api request, and Next buffers request bodies
    // for it up to this size before a route sees them. The largest body a
    // route accepts is a 512 KiB sync push.
    proxyClientMaxBodySize: '1mb',
  },
}

// Keeps esbuild (which bundles sw/ into /serwist/sw.js) out of the server
// bundle.
export default withSerwist(nextConfig)
