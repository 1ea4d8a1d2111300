// Limits shared by the schema's checks and the validation that runs in the
// browser. Kept free of imports so the browser bundle does not pull Drizzle.

/** Longest avatar name, in code points (the database checks it too). */
export const NAME_MAX = 40
/** Longest emoji sequence, in code points (ZWJ families reach about 10). */
export const EMOJI_MAX_CODE_POINTS = 16
/** Longest fractional position key. */
export const POSITION_MAX = 200
