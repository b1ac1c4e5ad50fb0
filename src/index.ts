/**
 * The one bundle behind three entry points: the action (action.yml `main`), its post step
 * (`post`) and the CLI. dist/post.js and dist/cli.js are one-line files that name their entry and
 * import this bundle, so the ~20 MB of dependencies ship once, not three times.
 */
import { main as cli } from './cli.js'
import { run } from './main.js'
import { runPost } from './post.js'

const entry = (globalThis as { canaryDeployEntry?: string }).canaryDeployEntry ?? 'main'
if (entry === 'post') await runPost()
else if (entry === 'cli') await cli()
else await run()
