/**
 * The cluster contract from DESIGN.md: every label, annotation and name the action writes, in one
 * place, so anyone (a person, a later run, rollback) can read the state back.
 */
export const PREFIX = 'canary-deploy.dev'

export const LABEL_APP = 'app'
export const LABEL_TRACK = `${PREFIX}/track`
export const LABEL_RELEASE = `${PREFIX}/release`
/** The release version, as a label (selectable: pods, Deployments, Jobs). */
export const LABEL_VERSION = `${PREFIX}/version`
/** The release version, as an annotation: the same key as the label (DESIGN.md's contract). */
export const ANNOTATION_VERSION = LABEL_VERSION
export const ANNOTATION_DIGEST = `${PREFIX}/image-digest`
export const ANNOTATION_SOURCE = `${PREFIX}/source`
export const ANNOTATION_APPROVER = `${PREFIX}/approved-by`
export const ANNOTATION_PHASE = `${PREFIX}/phase`
/** Rainbow: on a release Deployment, the stable Deployment it is a release of (shop-web). */
export const LABEL_RELEASE_OF = `${PREFIX}/release-of`
/** Rainbow: when a release became live (its Service selector moved to it), ISO 8601. */
export const ANNOTATION_RELEASED_AT = `${PREFIX}/released-at`
/** Rainbow: when a release stopped being live; cleanup's drain age counts from here. */
export const ANNOTATION_REPLACED_AT = `${PREFIX}/replaced-at`
/** Rainbow: on the Service, the selector it had before the last promotion (JSON), for rollback. */
export const ANNOTATION_PREVIOUS_SELECTOR = `${PREFIX}/previous-selector`
/**
 * Gateway: on the user's HTTPRoute while the canary is in it, the user's weights of the rules whose
 * weights the split had to divide (JSON: rule index -> weights), so they come back exactly.
 */
export const ANNOTATION_ROUTE_WEIGHTS = `${PREFIX}/route-weights`
/** Gateway: the rule name that marks a canary-header rule as ours, `canary-deploy-header-<n>`. */
export const HEADER_RULE_PREFIX = 'canary-deploy-header-'
/**
 * On the canary Deployment deploy judged by metrics: the analysis verdict (running, passed, failed,
 * inconclusive), the image digest it was measured on, and its reason. promote reads them back.
 */
export const ANNOTATION_ANALYSIS = `${PREFIX}/analysis`
export const ANNOTATION_ANALYSIS_DIGEST = `${PREFIX}/analysis-digest`
export const ANNOTATION_ANALYSIS_REASON = `${PREFIX}/analysis-reason`
export const FIELD_MANAGER = 'canary-deploy'

export type Track = 'stable' | 'canary'

/** `<deployment>-canary`: one canary beside each stable Deployment (web-canary, worker-canary). */
export function canaryName(deployment: string): string {
  return `${deployment}-canary`
}

/** `<app>-migrate-<version>`, and `-2`, `-3`... for retries: a Job's template is immutable. */
export function migrationJobName(app: string, version: string, attempt = 1): string {
  const base = `${app}-migrate-${version}`.toLowerCase()
  return attempt > 1 ? `${base}-${attempt}` : base
}

/** `<app>-<sha6>`: a rainbow release. */
export function rainbowName(app: string, sha: string): string {
  return `${app}-${sha.slice(0, 6).toLowerCase()}`
}

/** `<app>-canary-deploy`: the Lease that lets one run per app and namespace proceed. */
export function lockName(app: string): string {
  return `${app}-canary-deploy`
}
