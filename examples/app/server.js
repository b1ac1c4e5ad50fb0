// The example app: two endpoints the canary-deploy smoke checks call, and nothing else.
// Plain Node, no dependencies, so the image is one COPY away from the base image.
import http from 'node:http'

const port = Number(process.env.PORT || 8080)
// Baked into the image at build time (Dockerfile: ARG/ENV APP_VERSION), so a canary built from a new
// commit answers the new version even though it copies the stable pod template's env.
const version = process.env.APP_VERSION || 'dev'

const server = http.createServer((req, res) => {
  const path = (req.url || '/').split('?')[0]
  if (req.method === 'GET' && path === '/health') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok')
  } else if (req.method === 'GET' && path === '/version') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end(version)
  } else {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
  }
})

// PORT=0 picks a free port (tests do): the log line names the real one.
server.listen(port, () => console.log(`shop ${version} listening on :${server.address().port}`))

// Kubernetes sends SIGTERM before removing a pod: finish the requests in flight, then leave.
process.on('SIGTERM', () => server.close(() => process.exit(0)))
