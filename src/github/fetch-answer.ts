/**
 * The part of a fetch Response that Octokit reads (status, statusText, url, headers, text(),
 * arrayBuffer()), made from an answer already read whole: a body that fails half way then fails
 * the fetch itself, where Octokit would read it as an empty answer.
 */

/** What Octokit reads of a fetch Response. */
export interface Answer {
  status: number
  statusText: string
  url: string
  ok: boolean
  redirected: boolean
  headers: Map<string, string>
  body: null
  text(): Promise<string>
  json(): Promise<unknown>
  arrayBuffer(): Promise<ArrayBuffer>
}

export interface ReadAnswer {
  status: number
  statusText: string
  url: string
  redirected: boolean
  /** Lower-case names, a repeated header's values joined with ', ' (as fetch's Headers). */
  headers: Map<string, string>
  bytes: Uint8Array
}

/** Octokit's fetch must answer a Response; this is the part of one that it reads. */
export function fetchAnswer(read: ReadAnswer): Response {
  const text = new TextDecoder().decode(read.bytes)
  const answer: Answer = {
    status: read.status,
    statusText: read.statusText,
    url: read.url,
    ok: read.status >= 200 && read.status < 300,
    redirected: read.redirected,
    headers: read.headers,
    body: null,
    text: async () => text,
    json: async () => JSON.parse(text) as unknown,
    arrayBuffer: async () => new Uint8Array(read.bytes).buffer
  }
  return answer as unknown as Response
}
