import { withSerwist } from '@serwist/turbopack'
import type { NextConfig } from 'next'

const nextConfig: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // PGlite ships its own wasm and data files; bundling it into the server
  // build breaks their relative paths, so Node loads it from node_modules.
  serverExternalPackages: ['@electric-sql/pglite'],
}

// Keeps esbuild (which bundles sw/ into /serwist/sw.js) out of the server
// bundle.
export default withSerwist(nextConfig)
