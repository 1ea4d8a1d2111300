import { customType } from 'drizzle-orm/pg-core'

/**
 * Text compared byte by byte. Fractional positions are ordered as plain
 * strings in JavaScript; a locale-aware collation on the server could order
 * them differently, so the column pins the C collation.
 */
export const byteText = customType<{ data: string }>({
  dataType() {
    return 'text COLLATE "C"'
  },
})
