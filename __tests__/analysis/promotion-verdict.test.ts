/**
 * The analysis verdict as promote reads it back from the canary: bound to the image it was measured
 * on, and judged: failed or unfinished refused, inconclusive only by the approver's decision.
 */
import type { V1Deployment } from '@kubernetes/client-node'
import {
  judgePromotion,
  recordedVerdict,
  worse,
  type Recorded
} from '../../src/commands/analysis-verdict.js'

const IMAGE = `sha256:${'a'.repeat(64)}`
const OTHER = `sha256:${'b'.repeat(64)}`

function canary(annotations: Record<string, string>): V1Deployment {
  return {
    metadata: {
      name: 'shop-web-canary',
      annotations: { 'canary-deploy.dev/image-digest': IMAGE, ...annotations }
    }
  }
}

const recorded = (verdict: string, digest = IMAGE) =>
  recordedVerdict(
    canary({
      'canary-deploy.dev/analysis': verdict,
      'canary-deploy.dev/analysis-digest': digest,
      'canary-deploy.dev/analysis-reason': 'why'
    })
  )

describe('recordedVerdict', () => {
  it('reads the verdict recorded for the image the canary runs', () => {
    expect(recorded('failed')).toEqual({ verdict: 'failed', reason: 'why' })
  })

  it('ignores a verdict recorded for another image, as if none were', () => {
    expect(recorded('passed', OTHER)).toBeUndefined()
  })

  it('reads none when deploy ran no analysis', () => {
    expect(recordedVerdict(canary({}))).toBeUndefined()
  })

  it('reads a verdict it does not know as unfinished, never as a pass', () => {
    expect(recorded('PASSED')?.verdict).toBe('running')
  })
})

describe('judgePromotion', () => {
  const judge = (verdict: Recorded['verdict'] | undefined, accept = false) =>
    judgePromotion(
      'shop-web-canary',
      verdict ? { verdict, reason: 'error-rate ...' } : undefined,
      accept,
      'octocat'
    )

  it('lets a passed canary through, saying so', () => {
    expect(judge('passed')).toEqual({ ok: true, fact: 'passed: error-rate ...' })
  })

  it('refuses a failed canary even with accept-inconclusive', () => {
    expect(judge('failed', true)).toMatchObject({
      ok: false,
      refusal: expect.stringMatching(/^the metric analysis of shop-web-canary failed/)
    })
  })

  it('refuses a canary whose analysis never finished', () => {
    expect(judge('running', true)).toMatchObject({
      ok: false,
      refusal: expect.stringContaining('did not finish')
    })
  })

  it('refuses an inconclusive canary without the decision, naming the input that takes it', () => {
    expect(judge('inconclusive')).toMatchObject({
      ok: false,
      refusal: expect.stringContaining('run promote again with accept-inconclusive: true')
    })
  })

  it("takes an inconclusive canary by the approver's decision, naming who decided", () => {
    expect(judge('inconclusive', true)).toEqual({
      ok: true,
      acceptedInconclusive: true,
      fact: 'inconclusive (error-rate ...); promoted by the decision of octocat (accept-inconclusive: true)'
    })
  })

  it('lets a canary without a recorded analysis through, saying none was', () => {
    expect(judge(undefined)).toEqual({
      ok: true,
      fact: 'none recorded for this image (deploy ran none)'
    })
  })
})

describe('worse', () => {
  it('keeps the worst verdict of a deploy: failed, then inconclusive, then passed', () => {
    expect(worse(undefined, 'passed')).toBe('passed')
    expect(worse('inconclusive', 'passed')).toBe('inconclusive')
    expect(worse('inconclusive', 'failed')).toBe('failed')
    expect(worse('failed', 'passed')).toBe('failed')
  })
})
