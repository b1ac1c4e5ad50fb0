/**
 * Output negotiation (apiserver handlers/negotiation): an Accept header that no served media type
 * satisfies is 406 NotAcceptable, naming the types the server writes. Conversions a clause asks
 * for (`as=Table;g=meta.k8s.io`) count only when the endpoint offers them.
 */
import { failure, StatusError } from './status.js'

const MEDIA_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']
/** The types with a stream serializer, as a watch names them. */
const STREAM_TYPES = ['application/json', 'application/vnd.kubernetes.protobuf']
/** What the REST endpoints convert to (Table and partial metadata, meta.k8s.io v1 and v1beta1). */
const CONVERSIONS = ['Table', 'PartialObjectMetadata', 'PartialObjectMetadataList']

function clauseMatches(clause: string, types: string[], stream: boolean): boolean {
  const [mediaType, ...paramParts] = clause.split(';').map(p => p.trim())
  const [type, subType] = mediaType.toLowerCase().split('/')
  const typeOk = types.some(t => {
    const [tt, ts] = t.split('/')
    return (type === tt && (subType === ts || subType === '*')) || (type === '*' && subType === '*')
  })
  if (!typeOk) return false
  const params = new Map(
    paramParts.map(p => {
      const i = p.indexOf('=')
      return i < 0 ? [p, ''] : [p.slice(0, i).trim(), p.slice(i + 1).trim()]
    })
  )
  const as = params.get('as')
  if (
    as !== undefined &&
    (stream || !CONVERSIONS.includes(as) || params.get('g') !== 'meta.k8s.io')
  )
    return false
  const streamParam = params.get('stream')
  return streamParam === undefined || streamParam === '' || streamParam === 'watch'
}

/** Throws the 406 NotAcceptable kube-apiserver answers when no Accept clause can be served. */
export function negotiateOutput(accept: string | undefined, watch: boolean): void {
  if (!accept || accept.trim() === '') return
  const types = watch ? STREAM_TYPES : MEDIA_TYPES
  if (accept.split(',').some(c => clauseMatches(c, types, watch))) return
  const offered = watch ? STREAM_TYPES.map(t => `${t};stream=watch`) : MEDIA_TYPES
  throw new StatusError(
    failure(
      406,
      'NotAcceptable',
      `only the following media types are accepted: ${offered.join(', ')}`
    )
  )
}
