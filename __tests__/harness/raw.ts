/**
 * One raw HTTP request to the test cluster, as kubectl or curl sends it: for tests that check
 * status codes, headers and bodies exactly as the API server writes them.
 */
export interface RawAnswer {
  status: number
  /** parsed JSON when the body is JSON, else the text (trimmed) */
  body: unknown
  contentType: string
  /** Warning headers, as sent */
  warnings?: string[]
}

export async function rawRequest(
  cluster: { url: string },
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
  bearer = 'test-token'
): Promise<RawAnswer> {
  const res = await fetch(cluster.url + path, {
    method,
    headers: { authorization: `Bearer ${bearer}`, 'content-type': contentType },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
  })
  const text = await res.text()
  let parsed: unknown = text.trim()
  try {
    parsed = JSON.parse(text)
  } catch {
    // keep text
  }
  const warnings = res.headers.get('warning')
  return {
    status: res.status,
    body: parsed,
    contentType: res.headers.get('content-type') ?? '',
    ...(warnings ? { warnings: warnings.split(/,\s*(?=299 )/) } : {})
  }
}
