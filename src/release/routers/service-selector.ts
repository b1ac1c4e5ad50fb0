/**
 * The service-selector router (rainbow): deploy never writes the stable Service; promotion moves
 * its selector to the release in one merge PATCH, recording where it was (previous-selector), and
 * rollback moves it back. A Service that would route to release pods before promotion (it selects
 * neither track=stable, which release pods drop, nor a release) is refused, naming what to add.
 */
import type { V1Deployment, V1Service } from '@kubernetes/client-node'
import { ANNOTATION_PREVIOUS_SELECTOR, LABEL_RELEASE, LABEL_TRACK } from '../../k8s/labels.js'
import { labelsString } from '../../k8s/selectors.js'
import { findStableService } from '../stable-traffic.js'
import type { Router, Write } from '../types.js'
import { idOf, withoutTrack } from '../workloads/rainbow.js'
import { patchOf } from '../writes.js'

type Selector = Record<string, string>

/** The stable Deployments and the Service in front of each (if any), as read. */
type ServiceView = { stable: V1Deployment; service?: V1Service }[]

/** A merge patch that turns selector `from` into `to` (keys to drop are set to null). */
function selectorPatch(from: Selector, to: Selector): Record<string, string | null> {
  const patch: Record<string, string | null> = { ...to }
  for (const key of Object.keys(from)) if (!(key in to)) patch[key] = null
  return patch
}

const serviceRef = (service: V1Service) => ({ kind: 'Service', name: service.metadata?.name ?? '' })

function refuseOpenService(stable: V1Deployment, service: V1Service | undefined): void {
  const selector = service?.spec?.selector ?? {}
  if (!service || LABEL_TRACK in selector || LABEL_RELEASE in selector) return
  const stableName = stable.metadata?.name
  const podsCarryTrack = stable.spec?.template.metadata?.labels?.[LABEL_TRACK] === 'stable'
  const fix = podsCarryTrack
    ? `add \`${LABEL_TRACK}: stable\` to its selector (the pods of ${stableName} carry that label, so it still selects the same pods)`
    : `add the label \`${LABEL_TRACK}: stable\` to the pod template of Deployment ${stableName}, then \`${LABEL_TRACK}: stable\` to the Service's selector`
  throw new Error(
    `Service ${service.metadata?.name} selects ${labelsString(selector)}, so the pods of a rainbow release would join it before promotion: ${fix}, then deploy again`
  )
}

export const serviceSelectorRouter: Router<ServiceView> = {
  async observe(reads, stables) {
    const view: ServiceView = []
    for (const stable of stables)
      view.push({ stable, service: await findStableService(reads, stable) })
    return view
  },

  preflight(_settings, view) {
    for (const { stable, service } of view) refuseOpenService(stable, service)
  },

  expose: () => [],

  exposure(_ctx, view) {
    const service = view[0]?.service
    return {
      detail: service
        ? `waits for promotion: Service ${service.metadata?.name} still selects ${labelsString(service.spec?.selector ?? {})}`
        : 'no Service selects these pods: promotion only records which release is live'
    }
  },

  promote({ releases }, view) {
    const writes: Write[] = []
    view.forEach(({ service }, index) => {
      if (!service) return
      const before = { ...(service.spec?.selector ?? {}) }
      const after = { ...withoutTrack(before), [LABEL_RELEASE]: idOf(releases[index]) }
      // One PATCH: the selector moves, and where it was is recorded for rollback.
      writes.push(
        patchOf(
          'service',
          serviceRef(service),
          {
            metadata: { annotations: { [ANNOTATION_PREVIOUS_SELECTOR]: JSON.stringify(before) } },
            spec: { selector: selectorPatch(before, after) }
          },
          `selector ${labelsString(before)} -> ${labelsString(after)}`
        )
      )
    })
    return writes
  },

  withdraw: () => [],

  revert({ releases }, view) {
    const writes: Write[] = []
    view.forEach(({ service }, index) => {
      const release = releases[index]
      const current = { ...(service?.spec?.selector ?? {}) }
      if (!service || !release || current[LABEL_RELEASE] !== idOf(release)) return
      const recorded = service.metadata?.annotations?.[ANNOTATION_PREVIOUS_SELECTOR]
      if (!recorded) {
        throw new Error(
          `Service ${service.metadata?.name} has no ${ANNOTATION_PREVIOUS_SELECTOR} annotation: there is no recorded release to switch back to`
        )
      }
      const previous = JSON.parse(recorded) as Selector
      writes.push(
        patchOf(
          'service',
          serviceRef(service),
          {
            metadata: { annotations: { [ANNOTATION_PREVIOUS_SELECTOR]: null } },
            spec: { selector: selectorPatch(current, previous) }
          },
          `selector back to ${labelsString(previous)}`
        )
      )
    })
    return writes
  }
}
