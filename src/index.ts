/**
 * The one bundle behind three entry points: the action (action.yml `main`), its post step
 * (`post`) and the CLI. dist/post.js and dist/cli.js are one-line files that name their entry and
 * import this bundle. Each entry's code is imported only when it is the one that runs.
 */
const entry = (globalThis as { canaryDeployEntry?: string }).canaryDeployEntry ?? 'main'
if (entry === 'post') await (await import('./post.js')).runPost()
else if (entry === 'cli') await (await import('./cli.js')).main()
else await (await import('./main.js')).run()
