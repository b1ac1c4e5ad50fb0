// The example app: the endpoints canary-deploy calls (smoke checks, metric analysis, drain), and one
// page of "app traffic". Plain Node, no dependencies, so the image is one COPY away from the base image.
//
//   GET /            the app itself: answers `shop <version>` (any other path: 404)
//   GET /health      200 `ok` (smoke checks, readiness probe)
//   GET /version     the version baked into the image (smoke checks)
//   GET /metrics     Prometheus text format: http_requests_total{code}, http_request_duration_seconds
//                    (histogram), http_open_connections (gauge)
//   GET /connections the open connection count alone, as plain text (drain-path)
//
// Only app traffic is measured: probes, smoke checks and scrapes of the endpoints above are not
// requests a user made, and counting them would give an idle release samples it never served.
//
// Fault injection, so a canary can be told to misbehave (tests, demos, game days):
//   FAULT_ERROR_RATE  fraction of app requests answered 500, 0 to 1 (spread evenly, not at random)
//   FAULT_DELAY_MS    milliseconds added to every app request
import http from 'node:http'

const port = Number(process.env.PORT || 8080)
// Baked into the image at build time (Dockerfile: ARG/ENV APP_VERSION), so a canary built from a new
// commit answers the new version even though it copies the stable pod template's env.
const version = process.env.APP_VERSION || 'dev'
const errorRate = fault('FAULT_ERROR_RATE', 0, 1)
const delayMs = fault('FAULT_DELAY_MS', 0, 600_000)

/** A fault setting from the environment; a bad value stops the app at once rather than being ignored. */
function fault(name, min, max) {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return 0
  const value = Number(raw)
  if (!Number.isFinite(value) || value < min || value > max) {
    console.error(`${name} must be a number from ${min} to ${max}, got ${JSON.stringify(raw)}`)
    process.exit(2)
  }
  return value
}

// Prometheus' default buckets: they cover 5 ms to 10 s, where web request latencies live.
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
// The answers the app gives (200, and 500 under FAULT_ERROR_RATE) are exposed at 0 from the start:
// a counter series that appears only with its first increment hides that increment from rate().
const requestsByCode = new Map([
  [200, 0],
  [500, 0]
])
const bucketCounts = BUCKETS.map(() => 0)
let durationSum = 0
let durationCount = 0
let appRequests = 0
/** Connections that have carried app traffic and are still open. */
const userConnections = new Set()

function observe(code, seconds) {
  requestsByCode.set(code, (requestsByCode.get(code) || 0) + 1)
  BUCKETS.forEach((le, i) => {
    if (seconds <= le) bucketCounts[i]++
  })
  durationSum += seconds
  durationCount++
}

function metricsText() {
  const lines = [
    '# HELP http_requests_total App requests served, by status code.',
    '# TYPE http_requests_total counter',
    ...[...requestsByCode].map(([code, n]) => `http_requests_total{code="${code}"} ${n}`),
    '# HELP http_request_duration_seconds App request latency, from request to last byte.',
    '# TYPE http_request_duration_seconds histogram',
    ...BUCKETS.map(
      (le, i) => `http_request_duration_seconds_bucket{le="${le}"} ${bucketCounts[i]}`
    ),
    `http_request_duration_seconds_bucket{le="+Inf"} ${durationCount}`,
    `http_request_duration_seconds_sum ${durationSum}`,
    `http_request_duration_seconds_count ${durationCount}`,
    '# HELP http_open_connections Open client connections that have carried app traffic.',
    '# TYPE http_open_connections gauge',
    `http_open_connections ${userConnections.size}`
  ]
  return `${lines.join('\n')}\n`
}

/** Every n-th request fails so that exactly the given fraction does, at any request count. */
function shouldFail() {
  const n = appRequests++
  return Math.floor((n + 1) * errorRate) > Math.floor(n * errorRate)
}

function serveApp(req, res, path) {
  const started = process.hrtime.bigint()
  const socket = req.socket
  if (!userConnections.has(socket)) {
    userConnections.add(socket)
    socket.once('close', () => userConnections.delete(socket))
  }
  res.once('finish', () => observe(res.statusCode, Number(process.hrtime.bigint() - started) / 1e9))
  const answer = () => {
    if (path !== '/') res.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
    else if (shouldFail())
      res.writeHead(500, { 'content-type': 'text/plain' }).end('injected failure')
    else res.writeHead(200, { 'content-type': 'text/plain' }).end(`shop ${version}`)
  }
  if (delayMs > 0) setTimeout(answer, delayMs)
  else answer()
}

const server = http.createServer((req, res) => {
  const path = (req.url || '/').split('?')[0]
  const get = req.method === 'GET'
  if (get && path === '/health') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok')
  } else if (get && path === '/version') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end(version)
  } else if (get && path === '/metrics') {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metricsText())
  } else if (get && path === '/connections') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end(String(userConnections.size))
  } else {
    serveApp(req, res, path)
  }
})

// PORT=0 picks a free port (tests do): the log line names the real one.
server.listen(port, () => console.log(`shop ${version} listening on :${server.address().port}`))

// Kubernetes sends SIGTERM before removing a pod: finish the requests in flight, then leave.
process.on('SIGTERM', () => server.close(() => process.exit(0)))
