import {
  buildInProgress,
  buildSucceeded,
  deploySucceeded,
  failureOutput,
  formatDuration,
  MAX_ANNOTATIONS,
  type Annotation,
} from '../../src/report/check-output.js';

const target = { builder: 'registry.example.com/s2i/nodejs:20', reference: 'registry.example.com/acme/hello:6113728f27ae82c7b1a177c8d03f9e96e0adf246', environment: 'production' };
const deployTarget = { environment: 'production', configRepo: 'acme/cluster-config@main', path: 'apps/hello/production', image: 'registry.example.com/acme/hello@sha256:abc' };

describe('report/check-output', () => {
  it('shows builder, image and environment while building, then the log tail once there is one', () => {
    const first = buildInProgress(target);
    const later = buildInProgress(target, ['---> Installing', 'added 0 packages']);

    expect(first).toEqual({
      title: `Building ${target.reference}`,
      summary: `**Builder:** \`${target.builder}\`\n**Image:** \`${target.reference}\`\n**Deploys to:** production`,
    });
    expect(later.text).toBe('### Build log (last lines)\n\n```text\n---> Installing\nadded 0 packages\n```');
  });

  it('reports image, digest, size, duration and incremental when built', () => {
    const output = buildSucceeded(target, { pinned: 'registry.example.com/acme/hello@sha256:abc', digest: 'sha256:abc', sizeBytes: 5 * 1024 * 1024, durationMs: 1234, incremental: false });

    expect(output.title).toBe(`Built ${target.reference} in 1.2 s`);
    expect(output.summary.split('\n')).toEqual([
      '**Image:** `registry.example.com/acme/hello@sha256:abc`',
      '**Digest:** `sha256:abc`',
      '**Size:** 5 MiB',
      '**Duration:** 1.2 s',
      '**Incremental:** no',
      `**Builder:** \`${target.builder}\``,
      '**Deploys to:** production',
    ]);
  });

  it('says which step failed, why and what to do, with a one-line title', () => {
    const output = failureOutput({ step: 'push', reason: 'registry 127.0.0.1:5000 denied the push\nmore detail', hint: 'grant push access' });

    expect(output).toEqual({
      title: 'Push failed: registry 127.0.0.1:5000 denied the push',
      summary: '**Step:** push\n\n**What went wrong:** registry 127.0.0.1:5000 denied the push\nmore detail\n\n**What to do:** grant push access',
    });
  });

  it('fences a log that contains backticks so it cannot break out of its code block', () => {
    const output = failureOutput({ step: 'assemble', reason: 'assemble exited with code 1', hint: 'read the log', logTail: ['```', 'done'] });

    expect(output.text).toBe('### Log (last lines)\n\n````text\n```\ndone\n````');
  });

  it('keeps long titles on one bounded line and at most 50 annotations', () => {
    const annotation: Annotation = { path: '.github/s2i.yml', start_line: 1, end_line: 1, annotation_level: 'failure', message: 'bad' };

    const output = failureOutput({ step: 'config', reason: 'x'.repeat(500), hint: 'fix it' }, Array.from({ length: 60 }, () => annotation));

    expect(output.title).toHaveLength(120);
    expect(output.title.endsWith('…')).toBe(true);
    expect(output.annotations).toHaveLength(MAX_ANNOTATIONS);
  });

  it.each([
    [{ status: 'committed' as const, commitSha: 'c0ffee0123456789', url: 'https://github.com/acme/cluster-config/commit/c0ffee0123456789' }, 'Deployed to production: config commit c0ffee0'],
    [{ status: 'unchanged' as const, headSha: 'beef000123456789' }, 'Already deployed to production'],
    [{ status: 'pull-request' as const, number: 7, url: 'https://github.com/acme/cluster-config/pull/7', created: true }, 'Pull request #7 opened for production'],
  ])('titles a deploy by its outcome (%o)', (result, title) => {
    const output = deploySucceeded(deployTarget, result, ['apps/hello/production/deployment.yaml']);

    expect(output.title).toBe(title);
    expect(output.summary).toContain('- `apps/hello/production/deployment.yaml`');
  });

  it.each([
    [950, '0.9 s'],
    [59_000, '59.0 s'],
    [184_000, '3 min 4 s'],
  ])('formats %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
