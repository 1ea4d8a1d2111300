import type { MutationName } from '../mutations'
import type { LabReport } from './runner'

const SHORT_NAMES: Record<MutationName, string> = {
  createAvatar: 'create',
  renameAvatar: 'rename',
  setEmoji: 'emoji',
  setActive: 'active',
  moveAvatar: 'move',
  deleteAvatar: 'delete',
}

/** The lab's short report, a few aligned lines ending in PASS or FAIL. */
export function formatReport(
  report: LabReport,
  context: { seed?: number } = {},
): string {
  const { rounds } = report
  const seed = context.seed === undefined ? '' : `seed ${context.seed}, `
  const kinds = Object.entries(report.mutationsByKind)
    .map(([name, n]) => `${SHORT_NAMES[name as MutationName]} ${n}`)
    .join(', ')
  const rejected = total(report.rejectedLocally)
  const lines = [
    `sync lab: ${seed}${report.clients} clients, ${report.steps} steps, against ${report.target}`,
    row(
      'mutations',
      `${report.mutations} (${kinds})` +
        (rejected > 0
          ? `; ${rejected} rejected locally (${counts(report.rejectedLocally)})`
          : ''),
    ),
    row(
      'conflicts',
      `${report.conflicts}` +
        (report.conflicts > 0 ? ` (${counts(report.conflictsByKind)})` : ''),
    ),
    row(
      'refusals',
      `${total(report.refusals)}` +
        (total(report.refusals) > 0 ? ` (${counts(report.refusals)})` : ''),
    ),
    row(
      'rounds',
      `${rounds.total}: ${rounds.answered} answered, ${rounds.cut} cut, ` +
        `${rounds.lost} answers lost after commit, ${rounds.serverFaults} server faults, ` +
        `${rounds.resets} resets`,
    ),
    row(
      'final',
      `quiet after ${report.settlePasses} pass${report.settlePasses === 1 ? '' : 'es'}, ${report.avatars} avatars on the server`,
    ),
    ...report.checks.map((check, i) =>
      row(
        i === 0 ? 'checks' : '',
        `${check.ok ? 'ok  ' : 'FAIL'} ${check.name}: ${check.detail}` +
          (check.warning ? `\n${' '.repeat(18)}warn ${check.warning}` : ''),
      ),
    ),
    ...report.failures
      .slice(0, 10)
      .map((failure, i) => row(i === 0 ? 'problems' : '', failure)),
    ...(report.failures.length > 10
      ? [row('', `… and ${report.failures.length - 10} more`)]
      : []),
    row(
      'result',
      `${report.passed ? 'PASS' : 'FAIL'} in ${(report.ms / 1000).toFixed(1)} s`,
    ),
  ]
  return lines.join('\n')
}

function row(label: string, text: string): string {
  return `  ${label.padEnd(10)} ${text}`
}

function total(counts: Record<string, number>): number {
  return Object.values(counts).reduce((sum, n) => sum + n, 0)
}

/** `a 3, b 1`, largest first, zeros left out. */
function counts(byKey: Record<string, number>): string {
  return Object.entries(byKey)
    .filter(([, n]) => n > 0)
    .sort(([, a], [, b]) => b - a)
    .map(([key, n]) => `${key} ${n}`)
    .join(', ')
}
