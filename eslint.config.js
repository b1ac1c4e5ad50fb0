import js from '@eslint/js'
import globals from 'globals'
import tseslint from 'typescript-eslint'

/**
 * DESIGN.md's one-way rules ("Layout"): commands use release/, k8s/, image/, github/ and smoke;
 * none of those imports commands; k8s/ and image/ never import each other; only the entries
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

/** no-restricted-imports: @actions/core (entries only) and the given layers. */
const restrict = (...patterns) => ({
  'no-restricted-imports': [
    'error',
    {
      paths: [
        {
          name: '@actions/core',
          message: 'only the entries (main.ts, post.ts, cli.ts, their action helpers) use it'
        }
      ],
      patterns
    }
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
    // Metric analysis judges numbers it is handed: it reaches Prometheus through a transport that
    // k8s/ (service proxy) or a URL gives it, and never knows the cluster or the command.
    files: ['src/analysis/**/*.ts'],
    rules: restrict(
      ENTRIES,
      COMMANDS,
      RELEASE,
      SETTINGS,
      importOf('(k8s|image)/', 'analysis/ is given its transport; it never reaches the cluster')
    )
  },
  {
    files: ['src/image/**/*.ts'],
    rules: restrict(ENTRIES, COMMANDS, RELEASE, GITHUB, SETTINGS, importOf('k8s/', K8S_IMAGE))
  },
  {
    files: [
      'src/github/**/*.ts',
      'src/smoke.ts',
      'src/http-response.ts',
      'src/logger.ts',
      'src/validate.ts'
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
