/**
 * Label selectors: rendered as the API takes them (`app=web,canary-deploy.dev/track=canary`), and
 * matched against labels the way a Service selects pods.
 */
import type { V1LabelSelector } from '@kubernetes/client-node'

/** `app=web,canary-deploy.dev/track=canary` from a LabelSelector. */
export function selectorString(selector: V1LabelSelector | undefined): string {
  const parts = Object.entries(selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`)
  for (const e of selector?.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',')
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`)
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`)
    else if (e.operator === 'Exists') parts.push(e.key)
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`)
  }
  return parts.join(',')
}

/** `app=web,release=abc` from a plain map (a Service selector, matchLabels). */
export function labelsString(labels: Record<string, string>): string {
  return selectorString({ matchLabels: labels })
}

/** `labels` has every key/value of `selector` (an empty selector selects nothing here). */
export function selects(
  selector: Record<string, string> | undefined,
  labels: Record<string, string>
): boolean {
  const entries = Object.entries(selector ?? {})
  return entries.length > 0 && entries.every(([key, value]) => labels[key] === value)
}
