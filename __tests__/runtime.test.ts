import { KubeConfig } from '@kubernetes/client-node'

describe('runtime', () => {
  it('runs on Node 24, the runtime action.yml declares', () => {
    expect(process.versions.node.split('.')[0]).toBe('24')
  })
  it('loads @kubernetes/client-node', () => {
    expect(new KubeConfig().getContexts()).toEqual([])
  })
})
