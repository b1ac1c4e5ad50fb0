import {
  codeBlock,
  closeOpenFence,
  escapeTableCell,
  formatDuration,
  newReport,
  renderMarkdown,
  skipStage,
  timeStage,
  truncateToBytes,
  type Report
} from '../../src/github/report.js'

const bytes = (text: string): number => Buffer.byteLength(text, 'utf8')

function deployReport(): Report {
  return {
    title: 'Deploy web',
    command: 'deploy',
    status: 'success',
    stages: [
      { name: 'build', status: 'ok', durationMs: 1234 },
      { name: 'migrate', status: 'skipped', durationMs: 0, detail: 'already ran' }
    ],
    facts: [
      ['image', 'ghcr.io/acme/web'],
      ['digest', 'sha256:abc']
    ],
    sections: [],
    next: { title: 'Promote', markdown: 'Run the **promote** workflow.' }
  }
}

describe('renderMarkdown', () => {
  it('names the report and its outcome in the heading', () => {
    expect(renderMarkdown(deployReport())).toMatch(/^## Deploy web: ✅ succeeded\n/)
    expect(renderMarkdown({ ...deployReport(), status: 'failure' })).toMatch(
      /^## Deploy web: ❌ failed/
    )
  })

  it('quotes the reason under the heading, line by line', () => {
    const md = renderMarkdown({
      ...deployReport(),
      status: 'refused',
      reason: 'not allowed\nask a maintainer'
    })
    expect(md).toContain('> not allowed\n> ask a maintainer')
  })

  it('lists stages with status and a human duration', () => {
    const md = renderMarkdown(deployReport())
    expect(md).toContain('| Stage | Status | Duration | Detail |')
    expect(md).toContain('| build | ✅ ok | 1.2s |  |')
    expect(md).toContain('| migrate | ⏭️ skipped | – | already ran |')
  })

  it('renders facts as a key/value table', () => {
    expect(renderMarkdown(deployReport())).toContain(
      '| Item | Value |\n| --- | --- |\n| image | ghcr.io/acme/web |\n| digest | sha256:abc |'
    )
  })

  it('escapes pipes and newlines in table cells so a row stays one row', () => {
    const md = renderMarkdown({ ...deployReport(), facts: [['command', 'a | b\nc']] })
    expect(md).toContain('| command | a \\| b<br>c |')
  })

  it('puts collapsed sections in details with an escaped summary, open ones under a heading', () => {
    const md = renderMarkdown({
      ...deployReport(),
      sections: [
        { title: 'Diff <web>', body: '```diff\n+a\n```', collapsed: true },
        { title: 'Smoke checks', body: 'all green' }
      ]
    })
    expect(md).toContain(
      '<details><summary>Diff &lt;web&gt;</summary>\n\n```diff\n+a\n```\n\n</details>'
    )
    expect(md).toContain('### Smoke checks\n\nall green')
  })

  it('ends with what to do next', () => {
    expect(renderMarkdown(deployReport()).trimEnd()).toMatch(
      /### Promote\n\nRun the \*\*promote\*\* workflow\.$/
    )
  })

  it('leaves a report under the limit untouched, without a truncation note', () => {
    expect(renderMarkdown(deployReport())).not.toContain('truncated')
  })

  it('stays under the default 1,000,000 bytes when a section is far larger, and says how much was cut', () => {
    const huge = 'x'.repeat(3_000_000)
    const md = renderMarkdown({ ...deployReport(), sections: [{ title: 'Log', body: huge }] })
    expect(bytes(md)).toBeLessThanOrEqual(1_000_000)
    const cut = Number(/(\d[\d,]*) bytes were cut/.exec(md)?.[1].replace(/,/g, ''))
    const kept = (/### Log\n\n(x*)/.exec(md)?.[1] ?? '').length
    expect(cut).toBe(huge.length - kept)
    expect(md).toContain('### Promote')
  })

  it('cuts the largest section and keeps the small ones whole', () => {
    const md = renderMarkdown(
      {
        ...deployReport(),
        sections: [
          { title: 'Small', body: 'keep me' },
          { title: 'Big', body: 'y'.repeat(50_000) }
        ]
      },
      { maxBytes: 10_000 }
    )
    expect(bytes(md)).toBeLessThanOrEqual(10_000)
    expect(md).toContain('### Small\n\nkeep me')
    expect(md).toMatch(/bytes of this section were cut/)
  })

  it('never splits a multi-byte character or leaves a code fence open when cutting', () => {
    const body = '```\n' + '€'.repeat(20_000) + '\n```'
    const md = renderMarkdown(
      { ...deployReport(), sections: [{ title: 'Euros', body }] },
      { maxBytes: 5_000 }
    )
    expect(bytes(md)).toBeLessThanOrEqual(5_000)
    expect(md).not.toContain('\uFFFD')
    expect(md.split('\n').filter(l => l.startsWith('```')).length % 2).toBe(0)
  })

  it('still fits when no section can make room', () => {
    const md = renderMarkdown(
      { ...deployReport(), facts: [['log', 'z'.repeat(20_000)]] },
      { maxBytes: 4_000 }
    )
    expect(bytes(md)).toBeLessThanOrEqual(4_000)
    expect(md).toMatch(/bytes were cut/)
  })
})

describe('table cells and durations', () => {
  it('keeps Markdown in cells, escaping only what would break the row', () => {
    expect(escapeTableCell('`sha256:ab|c`\r\nnext')).toBe('`sha256:ab\\|c`<br>next')
  })
  it('formats sub-minute durations in tenths of a second and longer ones in minutes', () => {
    expect(formatDuration(1234)).toBe('1.2s')
    expect(formatDuration(125_000)).toBe('2m 05s')
  })
  it('truncates to a byte budget on a character boundary', () => {
    expect(truncateToBytes('aé', 2)).toBe('a')
  })
  it('closes a fence left open', () => {
    expect(closeOpenFence('```\ncode')).toBe('```\ncode\n```')
    expect(closeOpenFence('```\ncode\n```')).toBe('```\ncode\n```')
  })
})

describe('timeStage', () => {
  const clock =
    (...times: number[]) =>
    () =>
      times.shift() ?? 0

  it('records an ok stage with the duration the clock measured', async () => {
    const report = newReport('deploy', 'Deploy')
    const result = await timeStage(report, 'build', async () => 'built', clock(100, 1600))
    expect(result).toBe('built')
    expect(report.stages).toEqual([{ name: 'build', status: 'ok', durationMs: 1500 }])
  })

  it('shows a stage as running while its function runs', async () => {
    const report = newReport('deploy', 'Deploy')
    await timeStage(report, 'smoke', async () => expect(report.stages[0].status).toBe('running'))
  })

  it('records a failed stage with the error message and re-throws the same error', async () => {
    const report = newReport('deploy', 'Deploy')
    const error = new Error('pod crashed\nstack...')
    await expect(
      timeStage(report, 'rollout', () => Promise.reject(error), clock(0, 250))
    ).rejects.toBe(error)
    expect(report.stages[0]).toEqual({
      name: 'rollout',
      status: 'failed',
      durationMs: 250,
      detail: 'pod crashed'
    })
  })

  it('keeps a detail the stage set itself', async () => {
    const report = newReport('deploy', 'Deploy')
    await timeStage(report, 'migrate', async stage => {
      stage.detail = 'web-migrate-abc123 already complete'
    })
    expect(report.stages[0].detail).toBe('web-migrate-abc123 already complete')
  })

  it('records a skipped stage', () => {
    const report = newReport('deploy', 'Deploy')
    skipStage(report, 'build', 'build: false')
    expect(report.stages).toEqual([
      { name: 'build', status: 'skipped', durationMs: 0, detail: 'build: false' }
    ])
  })
})

describe('codeBlock', () => {
  it('keeps backticks inside the text from closing the fence early', () => {
    const block = codeBlock('log: ```rm -rf```')
    expect(block.split('```')).toHaveLength(3)
    expect(block).toContain("'''rm -rf'''")
  })
})
