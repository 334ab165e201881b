import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { FakeGitData } from '../../bench/fake-git-data.js';
import { ConfigRepoError, type ConfigRepoWrite, type WriteOutcome } from '../../src/gitops/config-repo.js';
import { GitHubConfigRepo } from '../../src/gitops/github-config-repo.js';
import { enforcePolicy } from '../../src/policy/enforce-policy.js';
import { assertGitHubDone, mockGitHub, testOctokit, type GitHubMock } from '../support/github-api.js';

const CONFIG_REPO = 'acme/cluster-config';
const POLICY = 'allow:\n  - repo: acme/*\n    paths: ["apps/**"]\n    namespaces: [demo]\n';
// Some 200 requests per test, each checked against GitHub's OpenAPI description.
jest.setTimeout(20_000);

/** The writer's default bound on attempts per deploy. */
const MAX_ATTEMPTS = 10;

/** What deploying app `index` writes: its Deployment and Service, in one commit. */
function deployOf(index: number): ConfigRepoWrite {
  const name = `app-${String(index).padStart(2, '0')}`;
  return {
    files: [
      { path: `apps/${name}/production/deployment.yaml`, content: `kind: Deployment\nmetadata: { name: ${name}, namespace: demo }\n` },
      { path: `apps/${name}/production/service.yaml`, content: `kind: Service\nmetadata: { name: ${name}, namespace: demo }\n` },
    ],
    message: `deploy(production): acme/${name}@1234567 Release ${index}`,
    environment: 'production',
    sourceRepo: `acme/${name}`,
  };
}

/** Deploys as the bot does: its own writer per run, the policy enforced at the head each attempt builds on. */
function deploy(change: ConfigRepoWrite): Promise<WriteOutcome> {
  const writer = new GitHubConfigRepo({ octokit: testOctokit(), owner: 'acme', repo: 'cluster-config', branch: 'main', mode: 'commit', retryDelayMs: 1 });
  return writer.write(change, (read) => enforcePolicy(read, { repo: change.sourceRepo, files: change.files.map((file) => file.path), namespaces: ['demo'] }));
}

/**
 * Routes every request for the config repo to `fake`, through the exact, OpenAPI-checked GitHub mock, and logs
 * each write as `<tree|commit|ref> <app>`.
 */
function serve(github: GitHubMock, fake: FakeGitData, writes: string[]): void {
  const route = /^\/repos\/acme\/cluster-config(\/|$)/;
  const appOfCommit = new Map<string, string>();
  github.api.persist();
  github.api.get(route).query(true).reply((uri) => fake.answer('GET', uri, undefined) as [number, string]);
  github.api.post(route).reply((uri, body) => {
    const reply = fake.answer('POST', uri, body) as [number, { sha: string }];
    const { tree, message } = body as { tree?: Array<{ path: string }> | string; message?: string };
    if (Array.isArray(tree)) writes.push(`tree ${/^apps\/([^/]+)\//.exec(tree[0].path)?.[1]}`);
    if (message) {
      const app = /acme\/([^@]+)@/.exec(message)?.[1] ?? '?';
      appOfCommit.set(reply[1].sha, app);
      writes.push(`commit ${app}`);
    }
    return reply;
  });
  github.api.patch(route).reply((uri, body) => {
    writes.push(`ref ${appOfCommit.get((body as { sha: string }).sha)}`);
    return fake.answer('PATCH', uri, body) as [number, string];
  });
}

describe('src/gitops/github-config-repo under contention', () => {
  let github: GitHubMock;
  let fake: FakeGitData;
  let writes: string[];

  beforeEach(() => {
    github = mockGitHub();
    fake = new FakeGitData({ repo: CONFIG_REPO, branch: 'main', files: { '.github/s2i-policy.yml': POLICY, 'README.md': 'cluster config\n' } });
    writes = [];
    serve(github, fake, writes);
  });
  afterEach(() => assertGitHubDone(github));

  it('lands all of 20 concurrent deploys while another process moves the branch between their reads and updates', async () => {
    const changes = Array.from({ length: 20 }, (_, index) => deployOf(index));
    // The other process wins the race for the first two of every three ref updates the bot sends.
    let updates = 0;
    fake.beforeRefUpdate = () => {
      updates += 1;
      if (updates % 3 !== 0) fake.pushExternal({ [`external/change-${updates}.yaml`]: `change ${updates}\n` });
    };

    const outcomes = await Promise.all(changes.map(deploy));

    const head = fake.filesAt();
    expect(outcomes.map((outcome) => outcome.status)).toEqual(Array(20).fill('committed'));
    expect(outcomes.map((outcome) => outcome.attempts)).toEqual(Array(20).fill(3));
    expect(Math.max(...outcomes.map((outcome) => outcome.attempts))).toBeLessThanOrEqual(MAX_ATTEMPTS);
    for (const file of changes.flatMap((change) => change.files)) expect(head.get(file.path)).toBe(file.content);
    expect([...head.keys()].filter((path) => path.startsWith('external/'))).toHaveLength(40);
    expect(head.get('.github/s2i-policy.yml')).toBe(POLICY);
    expect(fake.refUpdates.filter((update) => update.force)).toEqual([]);
    expect(fake.refUpdates.map((update) => update.accepted).filter(Boolean)).toHaveLength(20);
    expect(outcomes[19]).toEqual(expect.objectContaining({ commitSha: fake.head }));
  });

  it('never interleaves the writes of two deploys in one process: tree, commit and ref update of one deploy follow each other', async () => {
    const changes = Array.from({ length: 20 }, (_, index) => deployOf(index));
    let updates = 0;
    fake.beforeRefUpdate = () => {
      updates += 1;
      if (updates % 2 === 1) fake.pushExternal({ [`external/change-${updates}.yaml`]: `change ${updates}\n` });
    };

    await Promise.all(changes.map(deploy));

    const attempts = Array.from({ length: writes.length / 3 }, (_, index) => writes.slice(index * 3, index * 3 + 3));
    expect(writes).toHaveLength(attempts.length * 3);
    for (const attempt of attempts) {
      const app = attempt[0].split(' ')[1];
      expect(attempt).toEqual([`tree ${app}`, `commit ${app}`, `ref ${app}`]);
    }
    // Every deploy lost its first race (odd updates) and won its second.
    expect(attempts.map((attempt) => attempt[0])).toEqual(changes.flatMap((_, index) => Array(2).fill(`tree app-${String(index).padStart(2, '0')}`)));
  });

  it('gives up on a deploy overtaken 10 times, writing none of its files, and lands the deploys queued behind it', async () => {
    const changes = Array.from({ length: 4 }, (_, index) => deployOf(index));
    // The other process always wins against app-00, never against the others.
    fake.beforeRefUpdate = (message) => {
      if (message?.includes('acme/app-00@')) fake.pushExternal({ [`external/${fake.refUpdates.length}.yaml`]: 'x\n' });
    };

    const results = await Promise.all(changes.map((change) => deploy(change).catch((error: unknown) => error)));

    const failure = results[0] as ConfigRepoError;
    expect(failure).toBeInstanceOf(ConfigRepoError);
    expect(failure.reason).toBe(
      `${CONFIG_REPO}@main kept moving: ${MAX_ATTEMPTS} attempts to commit on top of its head were overtaken by other writes (GitHub: Update is not a fast forward)`,
    );
    expect(results.slice(1).map((result) => (result as WriteOutcome).status)).toEqual(['committed', 'committed', 'committed']);
    expect(fake.refUpdates.filter((update) => !update.accepted)).toHaveLength(MAX_ATTEMPTS);
    const head = fake.filesAt();
    expect(changes[0].files.map((file) => head.has(file.path))).toEqual([false, false]);
    for (const file of changes.slice(1).flatMap((change) => change.files)) expect(head.get(file.path)).toBe(file.content);
  });
});
