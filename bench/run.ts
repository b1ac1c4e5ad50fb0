/**
 * `npm run bench`: what the action costs, measured. Prints one table and writes the same rows to
 * bench/results.json. Each suite runs on its own; one that throws becomes a skipped row saying why.
 */
import { writeFileSync } from 'node:fs'
import type { Row } from './row.js'

type Suite = [string, () => Promise<Row[]>]

const suites: Suite[] = [
  ['bundle', async () => (await import('./bundle.js')).benchBundle()],
  ['wait', async () => (await import('./k8s-wait.js')).benchWait()],
  ['commands', async () => (await import('./commands.js')).benchCommands()],
  ['exit', async () => (await import('./exit.js')).benchExit()],
  ['cleanup', async () => (await import('./cleanup.js')).benchCleanup()],
  ['analysis', async () => (await import('./analysis.js')).benchAnalysis()],
  ['image build', async () => (await import('./image-build.js')).benchBuild()]
]

function table(rows: Row[]): string {
  const cells = rows.map(r => [
    r.name,
    r.value === null ? '–' : `${r.value} ${r.unit}`,
    r.target,
    r.met === null ? '–' : r.met ? 'yes' : 'NO'
  ])
  const header = ['benchmark', 'value', 'target', 'met']
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map(c => c[i].length)))
  const line = (c: string[]): string => c.map((v, i) => v.padEnd(widths[i])).join('  ')
  return [line(header), widths.map(w => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n')
}

const only = process.argv.slice(2)
const rows: Row[] = []
for (const [name, run] of suites) {
  if (only.length > 0 && !only.includes(name)) continue
  const started = performance.now()
  process.stderr.write(`bench: ${name}...\n`)
  try {
    rows.push(...(await run()))
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error)
    rows.push({
      name: `${name} (suite failed)`,
      value: null,
      unit: '',
      target: `skipped: ${reason}`,
      met: null
    })
  }
  process.stderr.write(
    `bench: ${name} took ${((performance.now() - started) / 1000).toFixed(1)} s\n`
  )
}
process.stdout.write(`${table(rows)}\n`)
writeFileSync('bench/results.json', `${JSON.stringify(rows, null, 2)}\n`)
const missed = rows.filter(r => r.met === false).length
process.stdout.write(
  `\n${rows.length} rows, ${missed} target(s) missed; written to bench/results.json\n`
)
// Suites may leave servers with keep-alive sockets: the figures are written, so end here.
process.exit(0)
