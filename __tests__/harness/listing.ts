/**
 * LIST semantics: which state a list shows (resourceVersion and resourceVersionMatch), and paging
 * with `limit` / `continue` over a consistent snapshot, with kube's continue tokens and refusals.
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#semantics-for-get-and-list
 * https://kubernetes.io/docs/reference/using-api/api-concepts/#retrieving-large-results-sets-in-chunks
 * - rv unset: the current state; rv=0 or NotOlderThan: the current state (newer than rv), or 504
 *   when rv is in the future; Exact: the state at rv, 410 when compacted (recording 42)
 * - limit: pages in key order (namespace/name); `continue` is set while keys remain after the
 *   page, matching or not (recording 44), remainingItemCount only without selectors
 * - a continue token names its snapshot; a malformed one is 400 (recording 44)
 */
import { goJsonSyntaxError } from './gojson.js'
import type { ResourceType } from './resources.js'
import { badRequest, failure, invalidAs, StatusError, type FieldError } from './status.js'
import type { Store } from './store.js'
import { isRecord, type KObject } from './types.js'

export interface ListQuery {
  resourceVersion?: string
  resourceVersionMatch?: string
  limit?: number
  continue?: string
}

export interface Page {
  items: KObject[]
  resourceVersion: string
  continue?: string
  remainingItemCount?: number
}

function key(t: ResourceType, ns: string | undefined, o: KObject): string {
  // The key relative to the list's prefix, as etcd3's continue token stores it.
  return ns !== undefined || !t.namespaced
    ? (o.metadata.name ?? '')
    : `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`
}

function encodeToken(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64url')
}

const B64URL = /^[A-Za-z0-9_-]*$/

/** storage.DecodeContinue: the snapshot revision and the key to start from, or kube's 400. */
function decodeToken(token: string): { rv: number; start: string } {
  const invalid = (why: string): StatusError =>
    badRequest(`invalid continue token: continue key is not valid: ${why}`)
  if (!B64URL.test(token) || token.length % 4 === 1) {
    const at = [...token].findIndex(c => !/[A-Za-z0-9_-]/.test(c))
    throw invalid(`illegal base64 data at input byte ${at >= 0 ? at : token.length - 1}`)
  }
  const text = Buffer.from(token, 'base64url').toString('latin1')
  const syntax = goJsonSyntaxError(text)
  if (syntax) throw invalid(syntax)
  const parsed: unknown = JSON.parse(text)
  if (!isRecord(parsed))
    throw invalid(
      `json: cannot unmarshal ${Array.isArray(parsed) ? 'array' : typeof parsed} into Go value of type storage.continueToken`
    )
  const v = parsed.v ?? ''
  const rv = parsed.rv ?? 0
  const start = parsed.start ?? ''
  if (typeof v !== 'string')
    throw invalid(
      'json: cannot unmarshal number into Go struct field continueToken.v of type string'
    )
  if (typeof rv !== 'number')
    throw invalid(
      `json: cannot unmarshal ${typeof rv === 'boolean' ? 'bool' : typeof rv} into Go struct field continueToken.rv of type int64`
    )
  if (typeof start !== 'string')
    throw invalid(
      'json: cannot unmarshal number into Go struct field continueToken.start of type string'
    )
  if (v !== 'meta.k8s.io/v1') throw invalid(`server does not recognize this encoded version "${v}"`)
  if (rv === 0) throw invalid('incorrect encoded start resourceVersion (version meta.k8s.io/v1)')
  if (start === '') throw invalid('encoded start key empty (version meta.k8s.io/v1)')
  return { rv, start }
}

function tooLarge(rv: number, current: number): StatusError {
  return new StatusError(
    failure(504, 'Timeout', `Timeout: Too large resource version: ${rv}, current: ${current}`, {
      causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
      retryAfterSeconds: 1
    })
  )
}

const forbid = (field: string, detail: string): FieldError => ({
  field,
  reason: 'FieldValueForbidden',
  detail: `Forbidden: ${detail}`
})

function notSupported(field: string, value: string, supported: string[]): FieldError {
  return {
    field,
    reason: 'FieldValueNotSupported',
    detail: `Unsupported value: ${JSON.stringify(value)}: supported values: ${supported.map(v => JSON.stringify(v)).join(', ')}`
  }
}

/**
 * ValidateListOptions (apimachinery meta/internalversion/validation), every error at once: a 422
 * `ListOptions.meta.k8s.io "" is invalid` before anything is read. A watch takes
 * resourceVersionMatch only with sendInitialEvents (a watch-list), and then only NotOlderThan.
 */
export function validateListOptions(q: URLSearchParams, watch: boolean): void {
  const errs: FieldError[] = []
  const match = q.get('resourceVersionMatch') ?? ''
  const rv = q.get('resourceVersion') ?? ''
  const hasContinue = (q.get('continue') ?? '') !== ''
  const initialEvents = q.get('sendInitialEvents')
  if (watch) {
    if (initialEvents !== null) {
      if (match !== 'NotOlderThan')
        errs.push(
          forbid(
            'resourceVersionMatch',
            'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'
          )
        )
      if (initialEvents === 'true' && q.get('allowWatchBookmarks') !== 'true')
        errs.push(
          forbid('allowWatchBookmarks', 'sendInitialEvents requires allowWatchBookmarks=true')
        )
    }
    if (match !== '') {
      if (initialEvents === null)
        errs.push(
          forbid(
            'resourceVersionMatch',
            'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'
          )
        )
      if (match !== 'NotOlderThan')
        errs.push(notSupported('resourceVersionMatch', match, ['NotOlderThan']))
      if (hasContinue)
        errs.push(
          forbid(
            'resourceVersionMatch',
            'resourceVersionMatch is forbidden when continue is provided'
          )
        )
    }
  } else {
    if (match !== '') {
      if (rv === '')
        errs.push(
          forbid(
            'resourceVersionMatch',
            'resourceVersionMatch is forbidden unless resourceVersion is provided'
          )
        )
      if (hasContinue)
        errs.push(
          forbid(
            'resourceVersionMatch',
            'resourceVersionMatch is forbidden when continue is provided'
          )
        )
      if (match !== 'Exact' && match !== 'NotOlderThan')
        errs.push(notSupported('resourceVersionMatch', match, ['Exact', 'NotOlderThan', '']))
      if (match === 'Exact' && rv === '0')
        errs.push(
          forbid(
            'resourceVersionMatch',
            'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'
          )
        )
    }
    if (initialEvents !== null)
      errs.push(forbid('sendInitialEvents', 'sendInitialEvents is forbidden for list'))
  }
  if (errs.length > 0) throw invalidAs('meta.k8s.io', 'ListOptions', '', errs)
}

/**
 * One page of a list. `matches` applies the selectors; `selected` says whether any was given
 * (remainingItemCount is only counted without them).
 */
export function listPage(
  store: Store,
  t: ResourceType,
  ns: string | undefined,
  q: ListQuery,
  matches: (o: KObject) => boolean,
  selected: boolean
): Page {
  const current = store.currentRV()
  let snapshotRV = current
  let start: string | undefined
  const rvParam = q.resourceVersion ?? ''
  if (q.continue) {
    // storage.ValidateListOptions: the token is read first, then the version is refused.
    const token = decodeToken(q.continue)
    if (rvParam !== '' && rvParam !== '0')
      throw badRequest('specifying resource version is not allowed when using continue')
    snapshotRV = token.rv
    start = token.start
  } else if (rvParam !== '' && rvParam !== '0') {
    const rv = Number(rvParam)
    if (!Number.isInteger(rv) || rv < 0)
      throw badRequest(`invalid resource version: ${JSON.stringify(rvParam)}`)
    if (rv > current) throw tooLarge(rv, current)
    if (q.resourceVersionMatch === 'Exact') snapshotRV = rv
  }
  const state = snapshotRV === current ? store.list(t, ns) : store.listAt(t, ns, snapshotRV)
  if (state === 'expired') {
    throw new StatusError(
      failure(
        410,
        'Expired',
        q.continue
          ? 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.'
          : 'The resourceVersion for the provided list is too old.'
      )
    )
  }
  const ordered = state
    .map(o => ({ k: key(t, ns, o), o }))
    .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
  const from = start === undefined ? ordered : ordered.filter(e => e.k >= start)
  const limit = q.limit ?? 0
  if (limit <= 0)
    return { items: from.map(e => e.o).filter(matches), resourceVersion: String(snapshotRV) }
  const items: KObject[] = []
  let last = -1
  for (let i = 0; i < from.length && items.length < limit; i++) {
    if (matches(from[i].o)) items.push(from[i].o)
    last = i
  }
  const page: Page = { items, resourceVersion: String(snapshotRV) }
  const rest = from.length - (last + 1)
  if (items.length === limit && rest > 0) {
    page.continue = encodeToken(snapshotRV, `${from[last].k}\0`)
    if (!selected) page.remainingItemCount = rest
  }
  return page
}
