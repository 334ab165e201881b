import { readFileSync } from 'node:fs';
import { buildSucceeded, deployHeldBack, deploySucceeded, failureOutput, type CheckOutput } from '../../src/report/check-output.js';

const IMAGE = 'registry.example.com/acme/hello';
const SHA = '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d';
const DIGEST = 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
const TARGET = { builder: 'registry.example.com/s2i/nodejs:20', reference: `${IMAGE}:${SHA}`, environment: 'production' };
const DEPLOY = { environment: 'production', configRepo: 'acme/cluster-config@main', path: 'apps/hello/production', image: `${IMAGE}@${DIGEST}` };
const FILES = ['apps/hello/production/deployment.yaml', 'apps/hello/production/kustomization.yaml', 'apps/hello/production/service.yaml'];

/** The check runs a user sees, as the README shows them: made by the same functions the bot uses. */
function samples(): Array<[string, string, CheckOutput]> {
  return [
    ['s2i/build', 'success', buildSucceeded(TARGET, { pinned: `${IMAGE}@${DIGEST}`, digest: DIGEST, sizeBytes: 187_400_000, durationMs: 41_300, incremental: true })],
    [
      's2i/build',
      'failure',
      failureOutput({
        step: 'assemble',
        reason: 'assemble exited with code 1',
        hint: 'read the last lines of the build log, fix the source or the build environment, and push again',
        logTail: ['---> Installing application source', '---> Installing dependencies', 'npm ERR! code ETARGET', 'npm ERR! notarget No matching version found for left-pad@^9.0.0.'],
      }),
    ],
    ['s2i/deploy', 'success', deploySucceeded(DEPLOY, { status: 'committed', commitSha: 'c0ffee1c0ffee1c0ffee1c0ffee1c0ffee1c0ffe', url: 'https://github.com/acme/cluster-config/commit/c0ffee1' }, FILES)],
    ['s2i/deploy', 'neutral', deployHeldBack(DEPLOY, { sha: '0badc0de0badc0de0badc0de0badc0de0badc0d', by: 'octocat', reason: 'rollback by /s2i rollback production' })],
  ];
}

/** One sample as Markdown: the check's name, conclusion and title, then its output quoted as GitHub renders it. */
function markdown(): string {
  return samples()
    .map(([name, conclusion, output]) => {
      const body = [output.summary, ...(output.text ? [output.text] : [])].join('\n\n');
      return [`**${name}** — ${conclusion} — ${output.title}`, '', ...body.split('\n').map((line) => (line === '' ? '>' : `> ${line}`))].join('\n');
    })
    .join('\n\n');
}

describe('README: the check runs a user sees', () => {
  it('shows exactly what the bot writes', () => {
    const readme = readFileSync('README.md', 'utf8');
    const expected = markdown();

    if (!readme.includes(expected)) throw new Error(`README.md should contain, under "What you see on GitHub":\n\n${expected}\n`);
  });
});
