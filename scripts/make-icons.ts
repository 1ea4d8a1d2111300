/**
 * Draws Rollcall's app icons and writes them as PNGs under public/icons/:
 * a roster (three rows of an avatar dot and a name bar) in white on the
 * accent colour. No image library: shapes are signed distance functions,
 * sampled 4×4 per pixel, and the PNG is written with node:zlib.
 *
 *   npx tsx scripts/make-icons.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { deflateSync } from 'node:zlib'

import { APP_COLORS } from '../app/pwa/app-colors'

type Rgb = [number, number, number]

interface IconSpec {
  file: string
  size: number
  /** Full-bleed square for maskable and Apple icons; rounded otherwise. */
  fullBleed: boolean
  /** Scale of the glyph; maskable icons keep it inside the safe circle. */
  glyphScale: number
}

const ICONS: IconSpec[] = [
  { file: 'icon-192.png', size: 192, fullBleed: false, glyphScale: 1 },
  { file: 'icon-512.png', size: 512, fullBleed: false, glyphScale: 1 },
  {
    file: 'icon-maskable-512.png',
    size: 512,
    fullBleed: true,
    glyphScale: 0.8,
  },
  { file: 'apple-touch-icon.png', size: 180, fullBleed: true, glyphScale: 0.9 },
]

const SAMPLES = 4
const WHITE: Rgb = [255, 255, 255]

function hex(color: string): Rgb {
  const value = Number.parseInt(color.slice(1), 16)
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255]
}

/** Distance from (x, y) to a rounded box centred at (cx, cy); < 0 inside. */
function roundedBox(
  x: number,
  y: number,
  cx: number,
  cy: number,
  halfWidth: number,
  halfHeight: number,
  radius: number,
): number {
  const qx = Math.abs(x - cx) - halfWidth + radius
  const qy = Math.abs(y - cy) - halfHeight + radius
  const outside = Math.hypot(Math.max(qx, 0), Math.max(qy, 0))
  return outside + Math.min(Math.max(qx, qy), 0) - radius
}

/** Is the point (unit square, centre 0.5) on the roster glyph? */
function onGlyph(x: number, y: number, scale: number): boolean {
  const u = (x - 0.5) / scale + 0.5
  const v = (y - 0.5) / scale + 0.5
  for (const row of [0.3, 0.5, 0.7]) {
    if (Math.hypot(u - 0.3, v - row) <= 0.075) return true
    if (roundedBox(u, v, 0.61, row, 0.16, 0.045, 0.045) <= 0) return true
  }
  return false
}

/** Is the point on the icon's background? */
function onBackground(x: number, y: number, fullBleed: boolean): boolean {
  if (fullBleed) return true
  return roundedBox(x, y, 0.5, 0.5, 0.5, 0.5, 0.22) <= 0
}

function render(spec: IconSpec): Buffer {
  const accent = hex(APP_COLORS.accent)
  const { size } = spec
  const rgba = Buffer.alloc(size * size * 4)
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let background = 0
      let glyph = 0
      for (let sy = 0; sy < SAMPLES; sy++) {
        for (let sx = 0; sx < SAMPLES; sx++) {
          const x = (px + (sx + 0.5) / SAMPLES) / size
          const y = (py + (sy + 0.5) / SAMPLES) / size
          if (!onBackground(x, y, spec.fullBleed)) continue
          background++
          if (onGlyph(x, y, spec.glyphScale)) glyph++
        }
      }
      const offset = (py * size + px) * 4
      const mix = background === 0 ? 0 : glyph / background
      for (let channel = 0; channel < 3; channel++) {
        const value = accent[channel]! * (1 - mix) + WHITE[channel]! * mix
        rgba[offset + channel] = Math.round(value)
      }
      rgba[offset + 3] = Math.round((255 * background) / SAMPLES ** 2)
    }
  }
  return encodePng(size, size, rgba)
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

function crc32(data: Buffer): number {
  let crc = 0xffffffff
  for (const byte of data) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([length, body, crc])
}

/** An 8-bit RGBA PNG, every scanline with filter 0. */
function encodePng(width: number, height: number, rgba: Buffer): Buffer {
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header.writeUInt8(8, 8) // bit depth
  header.writeUInt8(6, 9) // colour type: RGBA
  const stride = width * 4
  const raw = Buffer.alloc((stride + 1) * height)
  for (let y = 0; y < height; y++) {
    rgba.copy(raw, y * (stride + 1) + 1, y * stride, (y + 1) * stride)
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

const outDir = path.join(import.meta.dirname, '..', 'public', 'icons')
mkdirSync(outDir, { recursive: true })
for (const spec of ICONS) {
  const png = render(spec)
  writeFileSync(path.join(outDir, spec.file), png)
  console.log(`public/icons/${spec.file}: ${spec.size}px, ${png.length} bytes`)
}
