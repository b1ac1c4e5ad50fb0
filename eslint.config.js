import js from '@eslint/js'
import globals from 'globals'
import tseslint from 'typescript-eslint'

/**
 * DESIGN.md's one-way rules ("Layout"): commands use release/, k8s/, image/, github/, analysis/ and
 * smoke; none of those imports commands; k8s/ and image/ never import each other; analysis/ reads
 * neither the cluster nor the settings (commands give it both); only the entries
 * (main, post, cli, index and their action helpers) know they run in an action or a shell.
 */
/** The entries and the action helpers only they use. */
const ENTRY_FILES = [
  'src/index.ts',
  'src/main.ts',
  'src/post.ts',
  'src/cli.ts',
  'src/cli-entry.ts',
  'src/action-state.ts',
  'src/actions-logger.ts'
]
const importOf = (what, message) => ({ regex: `(^|/)${what}`, message })
const ENTRIES = importOf(
  '(main|post|cli|cli-entry|run-command|action-state|actions-logger)\\.js$',
  'entries import the layers below them, never the other way'
)
const COMMANDS = importOf('commands/', 'commands use the layers below them, never the other way')
const RELEASE = importOf('release/', 'release/ is planned by commands; the layers below never plan')
const GITHUB = importOf('github/', 'only commands talk to GitHub')
const SETTINGS = importOf('settings\\.js$', 'the layers below commands are given what they need')
const K8S_IMAGE = 'k8s/ and image/ never import each other'

const ACTIONS_CORE = 'only the entries (main.ts, post.ts, cli.ts, their action helpers) use it'

/** An esquery regex (a selector attribute) matching what the pattern's regex matches. */
const selectorRegex = regex => `/${regex.replace(/\//g, '\\/')}/`

/**
 * The layers' rules for every way of importing: no-restricted-imports sees `import` and `export
 * from`; no-restricted-syntax sees `import()` and `require()`, whose specifier must be a string so
 * the rule can read it.
 */
const restrict = (...patterns) => ({
  'no-restricted-imports': [
    'error',
    { paths: [{ name: '@actions/core', message: ACTIONS_CORE }], patterns }
  ],
  'no-restricted-syntax': [
    'error',
    {
      selector: 'ImportExpression:not([source.type="Literal"])',
      message: 'import() takes a string literal, so the layer rules can check what it loads'
    },
    ...['ImportExpression[source.value', 'CallExpression[callee.name="require"][arguments.0.value']
      .map(node => [
        { selector: `${node}="@actions/core"]`, message: ACTIONS_CORE },
        ...patterns.map(({ regex, message }) => ({
          selector: `${node}=${selectorRegex(regex)}]`,
          message
        }))
      ])
      .flat()
  ]
})

export const LAYER_RULES = [
  { files: ['src/**/*.ts'], ignores: ENTRY_FILES, rules: restrict(ENTRIES) },
  { files: ['src/release/**/*.ts'], rules: restrict(ENTRIES, COMMANDS, GITHUB) },
  {
    files: ['src/k8s/**/*.ts'],
    rules: restrict(ENTRIES, COMMANDS, RELEASE, GITHUB, SETTINGS, importOf('image/', K8S_IMAGE))
  },
  {
    files: ['src/image/**/*.ts'],
    rules: restrict(ENTRIES, COMMANDS, RELEASE, GITHUB, SETTINGS, importOf('k8s/', K8S_IMAGE))
  },
  {
    // Metric analysis sits beside smoke: commands hand it its config and a way to reach Prometheus.
    files: ['src/analysis/**/*.ts'],
    rules: restrict(
      ENTRIES,
      COMMANDS,
      RELEASE,
      SETTINGS,
      importOf(
        '(k8s|image)/',
        'analysis/ is given the way to Prometheus; commands wire the cluster'
      ),
      importOf(
        'github/(?!report\\.js$)',
        'analysis/ may shape a report section (github/report.js); only commands talk to GitHub'
      )
    )
  },
  {
    files: [
      'src/github/**/*.ts',
      'src/smoke.ts',
      'src/http-response.ts',
      'src/logger.ts',
      'src/validate.ts',
      'src/json.ts'
    ],
    rules: restrict(
      ENTRIES,
      COMMANDS,
      RELEASE,
      SETTINGS,
      importOf('(k8s|image)/', 'github/, smoke and the shared helpers stand on their own')
    )
  }
]

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }
      ]
    }
  },
  // TypeScript checks names itself; core no-undef does not know TS globals (typescript-eslint's advice).
  { files: ['**/*.ts'], rules: { 'no-undef': 'off' } },
  ...LAYER_RULES
)
