import { describe, expect, it } from '@jest/globals';
import { buildInProgress, buildSucceeded, deploySucceeded, failureOutput } from '../../src/report/check-output.js';
import { TerminalReporter } from '../../src/report/terminal-reporter.js';
import { recorder } from '../support/output-recorder.js';


const TARGET = { builder: 'registry.example.com/s2i/nodejs:20', reference: 'registry.example.com/acme/hello:abc', environment: 'production' };
const DEPLOY = { environment: 'production', configRepo: 'local git repository config', path: 'apps/hello/production', image: 'registry.example.com/acme/hello@sha256:1' };

describe('src/report/terminal-reporter', () => {
  it('prints a check once when it starts, however often its progress is refreshed', async () => {
    const { lines, output } = recorder();
    const check = new TerminalReporter(output).check('s2i/build');

    await check.progress(buildInProgress(TARGET));
    await check.progress(buildInProgress(TARGET, ['npm install']));
    await check.progress(buildInProgress(TARGET, ['npm install', 'added 1 package']));

    expect(lines).toEqual(['==> s2i/build: Building registry.example.com/acme/hello:abc']);
    expect(check.started).toBe(true);
    expect(check.completed).toBe(false);
  });

  it('prints the conclusion with its title and the summary without Markdown markers, and no log on success', async () => {
    const { lines, output } = recorder();
    const reporter = new TerminalReporter(output);
    const check = reporter.check('s2i/deploy');
    const succeeded = deploySucceeded(DEPLOY, { status: 'committed', commitSha: 'c0ffee1234', url: 'c0ffee1234' }, ['apps/hello/production/deployment.yaml']);

    await check.complete('success', { ...succeeded, text: 'a log that is only shown on failure' });

    expect(lines).toEqual([
      's2i/deploy success: Deployed to production: config commit c0ffee1',
      '    Committed the manifests to local git repository config: c0ffee1 (c0ffee1234).',
      '    Config repo: local git repository config',
      '    Image: registry.example.com/acme/hello@sha256:1',
      '    Files:',
      '    - apps/hello/production/deployment.yaml',
    ]);
    expect(lines.join('\n')).not.toContain('**');
    expect(reporter.conclusions).toEqual(new Map([['s2i/deploy', 'success']]));
  });

  it('prints the log text of a failed check after its summary', async () => {
    const { lines, output } = recorder();
    const reporter = new TerminalReporter(output);
    const check = reporter.check('s2i/build');
    await check.progress(buildInProgress(TARGET));

    await check.complete('failure', failureOutput({ step: 'assemble', reason: 'assemble exited with code 4', hint: 'read the log tail', logTail: ['npm ERR! missing script: build'] }));

    expect(lines.slice(0, 5)).toEqual([
      '==> s2i/build: Building registry.example.com/acme/hello:abc',
      's2i/build failure: Assemble failed: assemble exited with code 4',
      '    Step: assemble',
      '    What went wrong: assemble exited with code 4',
      '    What to do: read the log tail',
    ]);
    expect(lines.slice(5)).toContain('    npm ERR! missing script: build');
    expect(reporter.conclusions).toEqual(new Map([['s2i/build', 'failure']]));
  });

  it('concludes a check only once, and ignores progress after it concluded', async () => {
    const { lines, output } = recorder();
    const reporter = new TerminalReporter(output);
    const check = reporter.check('s2i/build');
    const built = buildSucceeded(TARGET, { pinned: 'registry.example.com/acme/hello@sha256:1', digest: 'sha256:1', sizeBytes: 2048, durationMs: 1500, incremental: false });

    await check.complete('success', built);
    await check.complete('failure', failureOutput({ step: 'internal', reason: 'late', hint: 'none' }));
    await check.progress(buildInProgress(TARGET));

    expect(lines.filter((line) => !line.startsWith('    '))).toEqual(['s2i/build success: Built registry.example.com/acme/hello:abc in 1.5 s']);
    expect(check.started).toBe(true);
    expect(check.completed).toBe(true);
    expect(reporter.conclusions).toEqual(new Map([['s2i/build', 'success']]));
  });

  it('records the conclusion of every check in the order they concluded', async () => {
    const { output } = recorder();
    const reporter = new TerminalReporter(output);
    const build = reporter.check('s2i/build');
    const deploy = reporter.check('s2i/deploy');

    await build.complete('success', { title: 'Built', summary: '' });
    await deploy.complete('cancelled', { title: 'Cancelled', summary: '' });

    expect([...reporter.conclusions]).toEqual([
      ['s2i/build', 'success'],
      ['s2i/deploy', 'cancelled'],
    ]);
  });
});
