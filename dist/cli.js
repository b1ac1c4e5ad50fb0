#!/usr/bin/env node
globalThis.canaryDeployEntry = 'cli'
await import('./index.js')
