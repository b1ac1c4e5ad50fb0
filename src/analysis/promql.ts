/**
 * PromQL templates: a check's query is written once and evaluated for the canary and for stable by
 * substituting each side's label matchers. Placeholders:
 *
 *   {{selector}}  the side's label matchers, e.g. `app="shop-web",canary_deploy_dev_track="canary"`,
 *                 to be put inside braces: `http_requests_total{ {{selector}}, code=~"5.." }`
 *   {{window}}    the range of rate() and increase(), e.g. `1m`
 *   {{side}}      `canary` or `stable`
 */

/** Prometheus label name -> value the side's series carry. */
export type Matchers = Readonly<Record<string, string>>

export interface TemplateValues {
  matchers: Matchers
  windowMs: number
  side: 'canary' | 'stable' | 'release'
}

export const PLACEHOLDERS = ['selector', 'window', 'side'] as const
const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.-]*)\s*\}\}/g
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/

/**
 * The Prometheus label a Kubernetes pod label becomes under the usual relabelling
 * (`labelmap: __meta_kubernetes_pod_label_(.+)`, or a PodMonitor's podTargetLabels): Kubernetes
 * service discovery replaces every character a label name cannot hold with `_`.
 */
export function prometheusLabelName(podLabel: string): string {
  return podLabel.replace(/[^a-zA-Z0-9_]/g, '_')
}

/** Pod labels -> the matchers of the series scraped from those pods. `rename` overrides a name. */
export function podMatchers(
  podLabels: Readonly<Record<string, string>>,
  rename: Readonly<Record<string, string>> = {}
): Matchers {
  return Object.fromEntries(
    Object.entries(podLabels).map(([key, value]) => [
      rename[key] ?? prometheusLabelName(key),
      value
    ])
  )
}

/** `a="x",b="y"`: label values quoted as PromQL strings, so no value can end the selector early. */
export function selectorText(matchers: Matchers): string {
  const entries = Object.entries(matchers).sort(([a], [b]) => a.localeCompare(b))
  if (entries.length === 0) {
    throw new Error('a side needs at least one label matcher: canary and stable would be the same')
  }
  return entries
    .map(([name, value]) => {
      if (!LABEL_NAME.test(name)) throw new Error(`not a Prometheus label name: ${name}`)
      return `${name}=${JSON.stringify(value)}`
    })
    .join(',')
}

/** 90000 -> `90s`: PromQL durations in whole seconds, at least 1s. */
export function promDuration(ms: number): string {
  return `${Math.max(1, Math.round(ms / 1000))}s`
}

/** The placeholders a template uses that are not known, for refusing it as input. */
export function unknownPlaceholders(template: string): string[] {
  const names = [...template.matchAll(PLACEHOLDER)].map(match => match[1])
  return [...new Set(names.filter(name => !(PLACEHOLDERS as readonly string[]).includes(name)))]
}

export function usesSelector(template: string): boolean {
  return [...template.matchAll(PLACEHOLDER)].some(match => match[1] === 'selector')
}

export function renderTemplate(template: string, values: TemplateValues): string {
  const selector = selectorText(values.matchers)
  return template.replace(PLACEHOLDER, (whole, name: string) => {
    if (name === 'selector') return selector
    if (name === 'window') return promDuration(values.windowMs)
    if (name === 'side') return values.side
    throw new Error(`unknown placeholder ${whole} in a query template`)
  })
}
