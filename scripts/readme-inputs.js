// Writes the inputs and outputs tables of README.md from action.yml (between the markers), so the
// README cannot drift from the action. `--check` fails when README.md is stale.
import { readFileSync, writeFileSync } from 'node:fs'
import { parse } from 'yaml'

const action = parse(readFileSync('action.yml', 'utf8'))
const cell = text => String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ')
const inputs = [
  '| input | default | description |',
  '| --- | --- | --- |',
  ...Object.entries(action.inputs).map(
    ([name, spec]) =>
      `| \`${name}\` | ${spec.required ? '**required**' : spec.default ? `\`${cell(spec.default)}\`` : ''} | ${cell(spec.description)} |`
  )
].join('\n')
const outputs = [
  '| output | description |',
  '| --- | --- |',
  ...Object.entries(action.outputs).map(
    ([name, spec]) => `| \`${name}\` | ${cell(spec.description)} |`
  )
].join('\n')

const readme = readFileSync('README.md', 'utf8')
const replace = (text, marker, table) => {
  const pattern = new RegExp(`(<!-- ${marker}:start -->\\n)[\\s\\S]*?(<!-- ${marker}:end -->)`)
  if (!pattern.test(text)) throw new Error(`README.md has no ${marker} markers`)
  return text.replace(pattern, `$1${table}\n$2`)
}
const next = replace(replace(readme, 'inputs', inputs), 'outputs', outputs)
if (process.argv.includes('--check')) {
  if (next !== readme) {
    console.error('README.md inputs/outputs tables are stale: run `npm run docs`')
    process.exit(1)
  }
} else {
  writeFileSync('README.md', next)
}
