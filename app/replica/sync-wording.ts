/** Words the status area and the inspector use; pure, so unit-tested. */

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

/**
 * How long ago `then` was, in words: "just now" under ten seconds, then
 * seconds, minutes, hours and days. A time in the future reads "just now"
 * (clocks between tabs drift a little).
 */
export function relativeTime(then: number, now: number): string {
  const elapsed = now - then
  if (elapsed < 10 * SECOND) return 'just now'
  if (elapsed < MINUTE) return ago(Math.floor(elapsed / SECOND), 'second')
  if (elapsed < HOUR) return ago(Math.floor(elapsed / MINUTE), 'minute')
  if (elapsed < DAY) return ago(Math.floor(elapsed / HOUR), 'hour')
  return ago(Math.floor(elapsed / DAY), 'day')
}

function ago(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'} ago`
}

/** Whole seconds until `at`, never below zero. */
export function secondsUntil(at: number, now: number): number {
  return Math.max(0, Math.ceil((at - now) / SECOND))
}

/** "1 change waiting", "3 changes waiting". */
export function changesWaiting(count: number): string {
  return `${count} ${count === 1 ? 'change' : 'changes'} waiting`
}

const ACTIONS: Record<string, string> = {
  createAvatar: 'addition of',
  renameAvatar: 'rename of',
  setEmoji: 'emoji change for',
  setActive: 'status change for',
  moveAvatar: 'move of',
  deleteAvatar: 'deletion of',
}

const REASONS: Record<string, string> = {
  'avatar/deleted': 'avatar has been deleted',
  'avatar/not-found': 'avatar no longer exists',
  'space/full': 'the roster is full',
}

export interface RefusalWords {
  name: string
  code: string
  message: string
}

/**
 * One sentence for a refused change: "Your rename of 'Ann' was refused:
 * avatar has been deleted". `avatarName` is the name the person last saw,
 * when known.
 */
export function refusalSentence(
  refusal: RefusalWords,
  avatarName: string | undefined,
): string {
  const action = ACTIONS[refusal.name] ?? 'change to'
  const subject = avatarName ? `'${avatarName}'` : 'an avatar'
  const reason = REASONS[refusal.code] ?? refusal.message
  return `Your ${action} ${subject} was refused: ${reason}`
}

/** The avatar a mutation's arguments name, if any. */
export function refusalTarget(args: unknown): string | undefined {
  if (typeof args !== 'object' || args === null || !('id' in args)) {
    return undefined
  }
  return typeof args.id === 'string' ? args.id : undefined
}
