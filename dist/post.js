globalThis.canaryDeployEntry = 'post'
await import('./index.js')
