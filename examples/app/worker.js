// The example background worker (Deployment shop-worker): same image as the web pods, another command.
// It takes the new image with each release; it serves no HTTP, so it is not smoke-checked.
import { clearInterval, setInterval } from 'node:timers'

const version = process.env.APP_VERSION || 'dev'
console.log(`shop worker ${version} started`)
const timer = setInterval(() => console.log(`shop worker ${version}: nothing to do`), 30000)
process.on('SIGTERM', () => {
  clearInterval(timer)
  process.exit(0)
})
