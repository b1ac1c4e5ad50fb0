/**
 * What `npm run demo -- --kubeconfig FILE ...` runs against a real cluster: the deploy of
 * examples/app, its image built with the release version baked in (the Dockerfile's
 * `ARG APP_VERSION`, which /version answers), so the smoke checks find the version they expect.
 */

/** The Dockerfile's build argument that /version answers (examples/app/Dockerfile). */
export const VERSION_BUILD_ARG = 'APP_VERSION'

/** The value of `--name value` or `--name=value` in args; the last one wins, as in the CLI. */
export function flagValue(args: string[], name: string): string | undefined {
  let value: string | undefined
  args.forEach((arg, i) => {
    if (arg === `--${name}`) value = args[i + 1]
    else if (arg.startsWith(`--${name}=`)) value = arg.slice(name.length + 3)
  })
  return value
}

/**
 * The CLI argv for the real-cluster demo. `given` is what the person passed besides --kubeconfig;
 * `fallbackVersion` the version when they gave none. Their flags come last, so they win; their own
 * `--build-args` replace ours, and then must set APP_VERSION themselves.
 */
export function realClusterDeployArgs(
  common: string[],
  given: string[],
  fallbackVersion: string
): string[] {
  const version = flagValue(given, 'version') ?? fallbackVersion
  return [
    'deploy',
    ...common,
    '--build-context',
    'examples/app',
    '--migrate-command',
    '["node", "migrate.js"]',
    '--version',
    version,
    '--build-args',
    `${VERSION_BUILD_ARG}=${version}`,
    ...given
  ]
}
