import { runPost } from './post-cleanup.js'

await runPost()
