// Writes src/action-inputs.ts from action.yml, so the CLI flags, their defaults and the settings
// defaults can never drift from the action's public face. `--check` fails when the file is stale.
import { readFileSync, writeFileSync } from 'node:fs'
import { parse } from 'yaml'

const action = parse(readFileSync(new URL('../action.yml', import.meta.url), 'utf8'))
const target = new URL('../src/action-inputs.ts', import.meta.url)

const inputs = Object.entries(action.inputs).map(([name, spec]) => ({
  name,
  description: String(spec.description ?? ''),
  default: spec.default === undefined ? '' : String(spec.default),
  required: Boolean(spec.required)
}))
const outputs = Object.entries(action.outputs).map(([name, spec]) => ({
  name,
  description: String(spec.description ?? '')
}))

const text = `// Generated from action.yml by scripts/gen-inputs.js: do not edit by hand.
export interface InputSpec {
  name: string
  description: string
  default: string
  required: boolean
}

export interface OutputSpec {
  name: string
  description: string
}

export const ACTION_INPUTS: readonly InputSpec[] = ${JSON.stringify(inputs, null, 2)}

export const ACTION_OUTPUTS: readonly OutputSpec[] = ${JSON.stringify(outputs, null, 2)}
`

if (process.argv.includes('--check')) {
  let current = ''
  try {
    current = readFileSync(target, 'utf8')
  } catch {
    // missing counts as stale
  }
  if (current !== text) {
    console.error('src/action-inputs.ts is stale: run `npm run gen`')
    process.exit(1)
  }
} else {
  writeFileSync(target, text)
}
