/**
 * batch/v1 jobs (pkg/registry/batch/job): the generated selector and labels
 * (batch.kubernetes.io/controller-uid, job-name), defaults, immutable selector, template and
 * completions; a DELETE without a policy orphans the pods (kept for old clients, recording 57).
 */
import { deepEqual } from '../patch.js'
import {
  goLabelSelector,
  invalidGoValue,
  invalidValue,
  required,
  type FieldError
} from '../status.js'
import { isRecord, type KObject } from '../types.js'
import { defaultTemplate, setDefault, templateErrors, ZERO_TEMPLATE } from './podspec.js'
import { resource } from './strategy.js'
import { humanDuration } from '../table.js'
import { workloadTable } from './podspec.js'

const IMMUTABLE = 'field is immutable'

export const jobs = resource('batch', 'v1', 'jobs', 'Job', {
  zeroValue: { spec: { template: ZERO_TEMPLATE }, status: {} },
  subresources: ['status'],
  generation: true,
  statusSubresource: true,
  defaultDeletePolicy: 'Orphan',
  selectableFields: ['status.successful'],
  fieldValue(obj: KObject, field: string) {
    if (field !== 'status.successful') return undefined
    return isRecord(obj.status) ? String(obj.status.succeeded ?? 0) : '0'
  },
  prepareForCreate(obj: KObject) {
    const spec = isRecord(obj.spec) ? obj.spec : undefined
    if (!spec || spec.manualSelector === true) return
    const uid = obj.metadata.uid ?? ''
    const name = obj.metadata.name ?? ''
    spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } }
    const template = isRecord(spec.template) ? spec.template : (spec.template = {})
    const meta = isRecord(template.metadata) ? template.metadata : (template.metadata = {})
    meta.labels = {
      ...(isRecord(meta.labels) ? meta.labels : {}),
      'batch.kubernetes.io/controller-uid': uid,
      'batch.kubernetes.io/job-name': name,
      'controller-uid': uid,
      'job-name': name
    }
  },
  defaults(obj: KObject) {
    const spec = isRecord(obj.spec) ? obj.spec : undefined
    if (!spec) return
    setDefault(spec, 'parallelism', 1)
    setDefault(spec, 'completions', 1)
    setDefault(spec, 'backoffLimit', 6)
    setDefault(spec, 'completionMode', 'NonIndexed')
    setDefault(spec, 'suspend', false)
    setDefault(spec, 'podReplacementPolicy', 'TerminatingOrFailed')
    // A Job's pod template keeps the restartPolicy it was given: validation requires Never/OnFailure.
    defaultTemplate(spec, false)
  },
  validate(obj: KObject, old?: KObject) {
    const spec = isRecord(obj.spec) ? obj.spec : undefined
    if (!spec) return [required('spec.template')]
    const errs: FieldError[] = templateErrors(spec, 'Job')
    const oldSpec = old && isRecord(old.spec) ? old.spec : undefined
    if (oldSpec) {
      for (const field of ['selector', 'completions', 'template']) {
        if (deepEqual(spec[field], oldSpec[field])) continue
        // field.Invalid prints a struct with %#v: spelled out for the selector.
        if (field === 'selector')
          errs.push(invalidGoValue('spec.selector', goLabelSelector(spec.selector), IMMUTABLE))
        else errs.push(invalidValue(`spec.${field}`, spec[field], IMMUTABLE))
      }
    }
    return errs
  },
  table: workloadTable(
    [
      { name: 'Status', type: 'string', description: 'Status of the job.' },
      { name: 'Completions', type: 'string', description: 'The completion status of the job.' },
      { name: 'Duration', type: 'string', description: 'Time required to complete the job.' }
    ],
    (spec, status, o, now) => {
      const conds = Array.isArray(status.conditions) ? status.conditions.filter(isRecord) : []
      const has = (type: string): boolean => conds.some(c => c.type === type && c.status === 'True')
      const state = has('Complete')
        ? 'Complete'
        : has('Failed')
          ? 'Failed'
          : o.metadata.deletionTimestamp
            ? 'Terminating'
            : has('Suspended')
              ? 'Suspended'
              : has('FailureTarget')
                ? 'FailureTarget'
                : has('SuccessCriteriaMet')
                  ? 'SuccessCriteriaMet'
                  : 'Running'
      const completions =
        spec.completions !== undefined
          ? `${Number(status.succeeded ?? 0)}/${Number(spec.completions)}`
          : `${Number(status.succeeded ?? 0)}/1 of ${Number(spec.parallelism ?? 1)}`
      const start = Date.parse(String(status.startTime ?? ''))
      const end = status.completionTime ? Date.parse(String(status.completionTime)) : now
      const duration = Number.isNaN(start) ? '' : humanDuration(end - start)
      return [state, completions, duration]
    }
  )
})
