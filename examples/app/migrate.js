// The example migration command (`migrate-command: node migrate.js`). canary-deploy runs it once per
// version, as the Job shop-migrate-<version>, with the same env and secrets as the web pods.
// A real one would apply schema changes to DATABASE_URL here; exit 0 means done, anything else failed.
const version = process.env.APP_VERSION || 'dev'
console.log(`migrated to ${version}`)
process.exit(0)
