// Fails when generated files are stale: regenerates the migrations from the
// Drizzle schema and asks git whether anything changed or appeared.
import { execFileSync } from 'node:child_process'

const generated = ['db/migrations']

execFileSync('npm', ['run', '--silent', 'db:generate'], { stdio: 'inherit' })

const status = execFileSync(
  'git',
  ['status', '--porcelain', '--untracked-files=all', '--', ...generated],
  { encoding: 'utf8' },
)
if (status.trim()) {
  console.error(
    `Generated files are out of date; run the generators and commit:\n${status}`,
  )
  process.exit(1)
}
console.info('[check] generated files are current')
