import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { CommitFileCache } from '../../src/gitops/commit-file-cache.js';
import { ConfigRepoError, type ConfigRepoWrite } from '../../src/gitops/config-repo.js';
import { DefaultBranchCache, GitHubConfigRepo, pullRequestBranch, type GitHubConfigRepoOptions } from '../../src/gitops/github-config-repo.js';
import { assertGitHubDone, mockGitHub, requestLines, testOctokit, type GitHubMock } from '../support/github-api.js';

const REPO = '/repos/acme/cluster-config';
const POLICY = '.github/s2i-policy.yml';
const POLICY_TEXT = 'allow:\n  - repo: acme/hello\n    paths: ["apps/hello/**"]\n    namespaces: [demo]\n';
const HEAD = 'a'.repeat(40);
const HEAD_TREE = 'b'.repeat(40);
const NEW_TREE = 'c'.repeat(40);
const NEW_COMMIT = 'd'.repeat(40);

const change: ConfigRepoWrite = {
  files: [
    { path: 'apps/hello/production/deployment.yaml', content: 'kind: Deployment\n' },
    { path: 'apps/hello/production/service.yaml', content: 'kind: Service\n' },
  ],
  message: 'deploy(production): acme/hello@1234567 Add greeting\n\nSource: https://github.com/acme/hello/commit/1234567',
  environment: 'production',
  sourceRepo: 'acme/hello',
};

const treeBody = (baseTree: string) => ({
  base_tree: baseTree,
  tree: change.files.map((file) => ({ path: file.path, mode: '100644', type: 'blob', content: file.content })),
});

/** GitHub's `GET /branches/{branch}` answer, reduced to what the writer reads. */
const branchReply = (sha: string, tree: string, name = 'main') => ({ name, commit: { sha, commit: { tree: { sha: tree } } } });

const commitReply = (sha: string) => ({ sha, html_url: `https://github.com/acme/cluster-config/commit/${sha}` });

const rawText = { 'content-type': 'text/plain; charset=utf-8' };

/** Awaits a promise that must reject, and returns what it rejected with. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error('resolved, but a rejection was expected'),
    (caught: unknown) => caught,
  );
}

describe('src/gitops/github-config-repo', () => {
  let github: GitHubMock;
  beforeEach(() => {
    github = mockGitHub();
  });
  afterEach(() => assertGitHubDone(github));

  const configRepo = (options: Partial<GitHubConfigRepoOptions> = {}) =>
    new GitHubConfigRepo({ octokit: testOctokit(), owner: 'acme', repo: 'cluster-config', branch: 'main', mode: 'commit', retryDelayMs: 0, ...options });

  describe('commit mode', () => {
    it('commits all files in one commit with 4 calls: branch, tree, commit, fast-forward ref update', async () => {
      github.api.get(`${REPO}/branches/main`).reply(200, branchReply(HEAD, HEAD_TREE));
      github.api.post(`${REPO}/git/trees`, treeBody(HEAD_TREE)).reply(201, { sha: NEW_TREE });
      github.api.post(`${REPO}/git/commits`, { message: change.message, tree: NEW_TREE, parents: [HEAD] }).reply(201, commitReply(NEW_COMMIT));
      github.api.patch(`${REPO}/git/refs/heads%2Fmain`, { sha: NEW_COMMIT, force: false }).reply(200, { ref: 'refs/heads/main' });

      const outcome = await configRepo().write(change);

      expect(outcome).toEqual({ status: 'committed', commitSha: NEW_COMMIT, url: `https://github.com/acme/cluster-config/commit/${NEW_COMMIT}`, attempts: 1 });
      expect(requestLines(github)).toEqual([`GET ${REPO}/branches/main`, `POST ${REPO}/git/trees`, `POST ${REPO}/git/commits`, `PATCH ${REPO}/git/refs/heads%2Fmain`]);
      expect(github.requests.map((request) => request.body)).toEqual([
        undefined,
        treeBody(HEAD_TREE),
        { message: change.message, tree: NEW_TREE, parents: [HEAD] },
        { sha: NEW_COMMIT, force: false },
      ]);
    });

    it('lets the check read the policy at exactly the head it commits on (one more call)', async () => {
      github.api.get(`${REPO}/branches/main`).reply(200, branchReply(HEAD, HEAD_TREE));
      github.api.get(`${REPO}/contents/.github%2Fs2i-policy.yml`).query({ ref: HEAD }).reply(200, POLICY_TEXT, rawText);
      github.api.post(`${REPO}/git/trees`, treeBody(HEAD_TREE)).reply(201, { sha: NEW_TREE });
      github.api.post(`${REPO}/git/commits`, { message: change.message, tree: NEW_TREE, parents: [HEAD] }).reply(201, commitReply(NEW_COMMIT));
      github.api.patch(`${REPO}/git/refs/heads%2Fmain`, { sha: NEW_COMMIT, force: false }).reply(200, {});
      const seen: Array<string | undefined> = [];

      const outcome = await configRepo().write(change, async (read) => {
        seen.push(await read(POLICY), await read(POLICY));
      });

      expect(outcome.status).toBe('committed');
      expect(seen).toEqual([POLICY_TEXT, POLICY_TEXT]);
      expect(requestLines(github)).toEqual([
        `GET ${REPO}/branches/main`,
        `GET ${REPO}/contents/.github%2Fs2i-policy.yml?ref=${HEAD}`,
        `POST ${REPO}/git/trees`,
        `POST ${REPO}/git/commits`,
        `PATCH ${REPO}/git/refs/heads%2Fmain`,
      ]);
    });

    it('deletes a file with a null-sha tree entry', async () => {
      github.api.get(`${REPO}/branches/main`).reply(200, branchReply(HEAD, HEAD_TREE));
      github.api
        .post(`${REPO}/git/trees`, { base_tree: HEAD_TREE, tree: [{ path: 'apps/hello/production/s2i-pin.yaml', mode: '100644', type: 'blob', sha: null }] })
        .reply(201, { sha: NEW_TREE });
      github.api.post(`${REPO}/git/commits`).reply(201, commitReply(NEW_COMMIT));
      github.api.patch(`${REPO}/git/refs/heads%2Fmain`, { sha: NEW_COMMIT, force: false }).reply(200, {});

      const outcome = await configRepo().write({ ...change, files: [{ path: 'apps/hello/production/s2i-pin.yaml', content: null }] });

      expect(outcome.status).toBe('committed');
    });

    it('knows the files at its own commit: the next write reads nothing its previous commit did not change', async () => {
      const commitFiles = new CommitFileCache();
      const pin = 'apps/hello/production/s2i-pin.yaml';
      github.api.get(`${REPO}/branches/main`).reply(200, branchReply(HEAD, HEAD_TREE));
      github.api.get(`${REPO}/contents/.github%2Fs2i-policy.yml`).query({ ref: HEAD }).reply(200, POLICY_TEXT, rawText);
      github.api.get(`${REPO}/contents/apps%2Fhello%2Fproduction%2Fs2i-pin.yaml`).query({ ref: HEAD }).reply(404, { message: 'Not Found' });
      github.api.post(`${REPO}/git/trees`).reply(201, { sha: NEW_TREE });
      github.api.post(`${REPO}/git/commits`).reply(201, commitReply(NEW_COMMIT));
      github.api.patch(`${REPO}/git/refs/heads%2Fmain`).reply(200, {});
      github.api.get(`${REPO}/branches/main`).reply(200, branchReply(NEW_COMMIT, NEW_TREE));
      github.api.post(`${REPO}/git/trees`).reply(201, { sha: 'e'.repeat(40) });
      github.api.post(`${REPO}/git/commits`).reply(201, commitReply('f'.repeat(40)));
      github.api.patch(`${REPO}/git/refs/heads%2Fmain`).reply(200, {});
      const seen: Array<Array<string | undefined>> = [];
      const check = async (read: (path: string) => Promise<string | undefined>) => void seen.push([await read(POLICY), await read(pin), await read('apps/hello/production/deployment.yaml')]);

      await configRepo({ commitFiles }).write({ ...change, files: [...change.files, { path: pin, content: 'pinned\n' }] }, async (read) => void seen.push([await read(POLICY), await read(pin)]));
      await configRepo({ commitFiles }).write(change, check);

      expect(seen).toEqual([
        [POLICY_TEXT, undefined],
        [POLICY_TEXT, 'pinned\n', 'kind: Deployment\n'],
      ]);
      expect(requestLines(github).filter((line) => line.includes('/contents/'))).toEqual([
        `GET ${REPO}/contents/.github%2Fs2i-policy.yml?ref=${HEAD}`,
        `GET ${REPO}/contents/apps%2Fhello%2Fproduction%2Fs2i-pin.yaml?ref=${HEAD}`,
      ]);
    });

    it('does not commit when the files are already there (the new tree is the head tree)', async () => {
      github.api.get(`${REPO}/branches/main`).reply(200, branchReply(HEAD, HEAD_TREE));
      github.api.post(`${REPO}/git/trees`, treeBody(HEAD_TREE)).reply(201, { sha: HEAD_TREE });

      const outcome = await configRepo().write(change);

      expect(outcome).toEqual({ status: 'unchanged', headSha: HEAD, attempts: 1 });
      expect(requestLines(github)).toEqual([`GET ${REPO}/branches/main`, `POST ${REPO}/git/trees`]);
    });

    it('starts again from the new head when the branch moved, re-running the check against it', async () => {
      const movedHead = 'e'.repeat(40);
      const movedTree = 'f'.repeat(40);
      const secondTree = '1'.repeat(40);
      const secondCommit = '2'.repeat(40);
      github.api.get(`${REPO}/branches/main`).reply(200, branchReply(HEAD, HEAD_TREE));
      github.api.get(`${REPO}/contents/.github%2Fs2i-policy.yml`).query({ ref: HEAD }).reply(200, POLICY_TEXT, rawText);
      github.api.post(`${REPO}/git/trees`, treeBody(HEAD_TREE)).reply(201, { sha: NEW_TREE });
      github.api.post(`${REPO}/git/commits`, { message: change.message, tree: NEW_TREE, parents: [HEAD] }).reply(201, commitReply(NEW_COMMIT));
      github.api.patch(`${REPO}/git/refs/heads%2Fmain`, { sha: NEW_COMMIT, force: false }).reply(422, { message: 'Update is not a fast forward', documentation_url: 'https://docs.github.com/rest/git/refs#update-a-reference' });
      github.api.get(`${REPO}/branches/main`).reply(200, branchReply(movedHead, movedTree));
      github.api.get(`${REPO}/contents/.github%2Fs2i-policy.yml`).query({ ref: movedHead }).reply(200, POLICY_TEXT, rawText);
      github.api.post(`${REPO}/git/trees`, treeBody(movedTree)).reply(201, { sha: secondTree });
      github.api.post(`${REPO}/git/commits`, { message: change.message, tree: secondTree, parents: [movedHead] }).reply(201, commitReply(secondCommit));
      github.api.patch(`${REPO}/git/refs/heads%2Fmain`, { sha: secondCommit, force: false }).reply(200, {});
      let checks = 0;

      const outcome = await configRepo().write(change, async (read) => {
        checks += 1;
        await read(POLICY);
      });

      expect(outcome).toEqual({ status: 'committed', commitSha: secondCommit, url: `https://github.com/acme/cluster-config/commit/${secondCommit}`, attempts: 2 });
      expect(checks).toBe(2);
      expect(github.requests.filter((request) => request.path.endsWith('/git/commits')).map((request) => request.body)).toEqual([
        { message: change.message, tree: NEW_TREE, parents: [HEAD] },
        { message: change.message, tree: secondTree, parents: [movedHead] },
      ]);
    });

    it('gives up after maxAttempts when the branch keeps moving, and says to retry', async () => {
      for (let attempt = 1; attempt <= 3; attempt += 1) {
        const head = String(attempt).repeat(40);
        github.api.get(`${REPO}/branches/main`).reply(200, branchReply(head, HEAD_TREE));
        github.api.post(`${REPO}/git/trees`, treeBody(HEAD_TREE)).reply(201, { sha: NEW_TREE });
        github.api.post(`${REPO}/git/commits`, { message: change.message, tree: NEW_TREE, parents: [head] }).reply(201, commitReply(NEW_COMMIT));
        github.api.patch(`${REPO}/git/refs/heads%2Fmain`, { sha: NEW_COMMIT, force: false }).reply(422, { message: 'Update is not a fast forward' });
      }

      const error = await rejectionOf(configRepo({ maxAttempts: 3 }).write(change));

      expect(error).toBeInstanceOf(ConfigRepoError);
      expect(error).toMatchObject({
        reason: 'acme/cluster-config@main kept moving: 3 attempts to commit on top of its head were overtaken by other writes (GitHub: Update is not a fast forward)',
        hint: 'nothing was written; retry with /s2i rebuild on the commit or push again. If it keeps happening, find what pushes to main of acme/cluster-config so often',
      });
      expect(requestLines(github)).toHaveLength(12);
    });

    it('writes nothing when the check throws, and passes its error on unchanged', async () => {
      github.api.get(`${REPO}/branches/main`).reply(200, branchReply(HEAD, HEAD_TREE));
      github.api.get(`${REPO}/contents/.github%2Fs2i-policy.yml`).query({ ref: HEAD }).reply(404, { message: 'Not Found' });
      const refusal = new Error('no policy');
      let policy: string | undefined = 'not read';

      const error = await rejectionOf(
        configRepo().write(change, async (read) => {
          policy = await read(POLICY);
          throw refusal;
        }),
      );

      expect(error).toBe(refusal);
      expect(policy).toBeUndefined();
      expect(requestLines(github)).toEqual([`GET ${REPO}/branches/main`, `GET ${REPO}/contents/.github%2Fs2i-policy.yml?ref=${HEAD}`]);
    });

    it('asks for the default branch once when none is configured', async () => {
      github.api.get(REPO).reply(200, { default_branch: 'trunk' });
      github.api.get(`${REPO}/branches/trunk`).times(2).reply(200, branchReply(HEAD, HEAD_TREE, 'trunk'));
      github.api.post(`${REPO}/git/trees`, treeBody(HEAD_TREE)).times(2).reply(201, { sha: HEAD_TREE });
      const repo = configRepo({ branch: undefined });

      await repo.write(change);
      const second = await repo.write(change);

      expect(second).toEqual({ status: 'unchanged', headSha: HEAD, attempts: 1 });
      expect(requestLines(github)).toEqual([`GET ${REPO}`, `GET ${REPO}/branches/trunk`, `POST ${REPO}/git/trees`, `GET ${REPO}/branches/trunk`, `POST ${REPO}/git/trees`]);
    });

    it('remembers the default branch across instances that share a cache', async () => {
      github.api.get(REPO).reply(200, { default_branch: 'trunk' });
      github.api.get(`${REPO}/branches/trunk`).times(2).reply(200, branchReply(HEAD, HEAD_TREE, 'trunk'));
      github.api.post(`${REPO}/git/trees`, treeBody(HEAD_TREE)).times(2).reply(201, { sha: HEAD_TREE });
      const defaultBranches = new DefaultBranchCache();

      await configRepo({ branch: undefined, defaultBranches }).write(change);
      await configRepo({ branch: undefined, defaultBranches }).write(change);

      expect(requestLines(github)).toEqual([`GET ${REPO}`, `GET ${REPO}/branches/trunk`, `POST ${REPO}/git/trees`, `GET ${REPO}/branches/trunk`, `POST ${REPO}/git/trees`]);
    });

    it('says to install the App when the config repo is not visible (404)', async () => {
      github.api.get(`${REPO}/branches/main`).reply(404, { message: 'Not Found' });
      github.api.get(REPO).reply(404, { message: 'Not Found' });

      const error = await rejectionOf(configRepo().write(change));

      expect(error).toBeInstanceOf(ConfigRepoError);
      expect(error).toMatchObject({
        reason: 'the config repo acme/cluster-config was not found, or the s2i-bot App cannot see it',
        hint: 'install the s2i-bot App on acme/cluster-config (the same installation as the app repo) with "Contents: Read and write", and check gitops.repo in .github/s2i.yml',
      });
      expect(requestLines(github)).toEqual([`GET ${REPO}/branches/main`, `GET ${REPO}`]);
    });

    it('says which branch is missing when the repo is there but the branch is not', async () => {
      github.api.get(`${REPO}/branches/deploy`).reply(404, { message: 'Branch not found' });
      github.api.get(REPO).reply(200, { default_branch: 'main' });

      const error = await rejectionOf(configRepo({ branch: 'deploy' }).write(change));

      expect(error).toMatchObject({
        reason: 'branch deploy does not exist in the config repo acme/cluster-config',
        hint: 'create deploy in acme/cluster-config, or fix gitops.branch in .github/s2i.yml',
      });
    });

    it('explains a 403 on the ref update: App permission or branch protection', async () => {
      github.api.get(`${REPO}/branches/main`).reply(200, branchReply(HEAD, HEAD_TREE));
      github.api.post(`${REPO}/git/trees`, treeBody(HEAD_TREE)).reply(201, { sha: NEW_TREE });
      github.api.post(`${REPO}/git/commits`, { message: change.message, tree: NEW_TREE, parents: [HEAD] }).reply(201, commitReply(NEW_COMMIT));
      github.api.patch(`${REPO}/git/refs/heads%2Fmain`, { sha: NEW_COMMIT, force: false }).reply(403, { message: 'Resource not accessible by integration' });

      const error = await rejectionOf(configRepo().write(change));

      expect(error).toBeInstanceOf(ConfigRepoError);
      expect(error).toMatchObject({
        reason: 'GitHub refused to let the bot update main in acme/cluster-config@main: Resource not accessible by integration',
        hint: 'give the s2i-bot App "Contents: Read and write" on acme/cluster-config and accept the new permissions in the installation; if main is protected, allow the App to push to it or set gitops.mode: pull-request',
      });
    });

    it('does not retry a 422 that is not a race: the head did not move, so a rule refused the update', async () => {
      github.api.get(`${REPO}/branches/main`).times(2).reply(200, branchReply(HEAD, HEAD_TREE));
      github.api.post(`${REPO}/git/trees`, treeBody(HEAD_TREE)).reply(201, { sha: NEW_TREE });
      github.api.post(`${REPO}/git/commits`, { message: change.message, tree: NEW_TREE, parents: [HEAD] }).reply(201, commitReply(NEW_COMMIT));
      github.api.patch(`${REPO}/git/refs/heads%2Fmain`, { sha: NEW_COMMIT, force: false }).reply(422, { message: 'Protected branch update failed for refs/heads/main.' });

      const error = await rejectionOf(configRepo().write(change));

      expect(error).toMatchObject({
        reason: 'GitHub refused to update main of acme/cluster-config: Protected branch update failed for refs/heads/main.',
        hint: 'allow the s2i-bot App to push to main in the branch protection rules or rulesets of acme/cluster-config, or set gitops.mode: pull-request in .github/s2i.yml',
      });
      expect(requestLines(github)).toEqual([`GET ${REPO}/branches/main`, `POST ${REPO}/git/trees`, `POST ${REPO}/git/commits`, `PATCH ${REPO}/git/refs/heads%2Fmain`, `GET ${REPO}/branches/main`]);
    });

    it('serialises parallel writes to one branch: each commit builds on the previous one, none is refused', async () => {
      const ref = { sha: HEAD, tree: HEAD_TREE };
      const parents = new Map<string, string>();
      let objects = 0;
      github.api
        .get(`${REPO}/branches/main`)
        .times(5)
        .reply(() => [200, branchReply(ref.sha, ref.tree)]);
      github.api
        .post(`${REPO}/git/trees`)
        .times(5)
        .reply(() => [201, { sha: `tree-${(objects += 1)}` }]);
      github.api
        .post(`${REPO}/git/commits`)
        .times(5)
        .reply((_uri, body) => {
          const sha = `commit-${(objects += 1)}`;
          parents.set(sha, (body as { parents: string[] }).parents[0]);
          return [201, commitReply(sha)];
        });
      github.api
        .patch(`${REPO}/git/refs/heads%2Fmain`)
        .times(5)
        .reply((_uri, body) => {
          const { sha } = body as { sha: string };
          // GitHub's fast-forward rule: only a commit whose parent is the current head may move the ref.
          if (parents.get(sha) !== ref.sha) return [422, { message: 'Update is not a fast forward' }];
          ref.sha = sha;
          ref.tree = `tree-of-${sha}`;
          return [200, { ref: 'refs/heads/main', object: { sha } }];
        });
      const writes = [1, 2, 3, 4, 5].map((n) => ({ ...change, files: [{ path: `apps/app${n}/production/deployment.yaml`, content: `n: ${n}\n` }] }));

      const outcomes = await Promise.all(writes.map((write) => configRepo().write(write)));

      expect(outcomes.map((outcome) => outcome.status === 'committed' && outcome.attempts)).toEqual([1, 1, 1, 1, 1]);
      const chain = outcomes.map((outcome) => (outcome.status === 'committed' ? outcome.commitSha : ''));
      expect(chain.map((sha) => parents.get(sha))).toEqual([HEAD, ...chain.slice(0, 4)]);
      expect(ref.sha).toBe(chain[4]);
    });
  });

  describe('readFile', () => {
    it('reads a file at the head of the branch as raw text, undefined when absent', async () => {
      github.api.get(`${REPO}/contents/.github%2Fs2i-policy.yml`).query({ ref: 'main' }).reply(200, Buffer.from(POLICY_TEXT), { 'content-type': 'application/vnd.github.raw' });
      github.api.get(`${REPO}/contents/missing.yml`).query({ ref: 'main' }).reply(404, { message: 'Not Found' });
      const repo = configRepo();

      const policy = await repo.readFile(POLICY);
      const missing = await repo.readFile('missing.yml');

      expect(policy).toBe(POLICY_TEXT);
      expect(missing).toBeUndefined();
      expect(github.requests.map((request) => request.headers.accept)).toEqual(['application/vnd.github.v3.raw', 'application/vnd.github.v3.raw']);
    });

    it('refuses paths that leave the repo without asking GitHub', async () => {
      const error = await rejectionOf(configRepo().readFile('../other/secret'));

      expect(error).toMatchObject({ reason: 'cannot read "../other/secret" from acme/cluster-config@main: the path contains a ".." segment' });
    });
  });

  describe('pull-request mode', () => {
    const HEAD_BRANCH = 's2i/production/acme-hello';
    const HEAD_REF = 's2i%2Fproduction%2Facme-hello';
    const prRepo = () => configRepo({ mode: 'pull-request' });

    it('creates the branch from the base head, commits there and opens a pull request', async () => {
      github.api.get(`${REPO}/branches/${HEAD_REF}`).reply(404, { message: 'Branch not found' });
      github.api.get(`${REPO}/branches/main`).reply(200, branchReply(HEAD, HEAD_TREE));
      github.api.get(`${REPO}/contents/.github%2Fs2i-policy.yml`).query({ ref: HEAD }).reply(200, POLICY_TEXT, rawText);
      github.api.post(`${REPO}/git/trees`, treeBody(HEAD_TREE)).reply(201, { sha: NEW_TREE });
      github.api.post(`${REPO}/git/commits`, { message: change.message, tree: NEW_TREE, parents: [HEAD] }).reply(201, commitReply(NEW_COMMIT));
      github.api.post(`${REPO}/git/refs`, { ref: `refs/heads/${HEAD_BRANCH}`, sha: NEW_COMMIT }).reply(201, { ref: `refs/heads/${HEAD_BRANCH}` });
      github.api.post(`${REPO}/pulls`).reply(201, { number: 12, html_url: 'https://github.com/acme/cluster-config/pull/12' });

      const outcome = await prRepo().write(change, async (read) => {
        await read(POLICY);
      });

      expect(outcome).toEqual({ status: 'pull-request', commitSha: NEW_COMMIT, number: 12, url: 'https://github.com/acme/cluster-config/pull/12', created: true, attempts: 1 });
      expect(requestLines(github)).toEqual([
        `GET ${REPO}/branches/${HEAD_REF}`,
        `GET ${REPO}/branches/main`,
        `GET ${REPO}/contents/.github%2Fs2i-policy.yml?ref=${HEAD}`,
        `POST ${REPO}/git/trees`,
        `POST ${REPO}/git/commits`,
        `POST ${REPO}/git/refs`,
        `POST ${REPO}/pulls`,
      ]);
      expect(github.requests[6].body).toEqual({
        head: HEAD_BRANCH,
        base: 'main',
        title: 'deploy(production): acme/hello@1234567 Add greeting',
        body: [
          's2i-bot deploys **acme/hello** to **production**.',
          '',
          '> deploy(production): acme/hello@1234567 Add greeting',
          '>',
          '> Source: https://github.com/acme/hello/commit/1234567',
          '',
          'Files:',
          '- `apps/hello/production/deployment.yaml`',
          '- `apps/hello/production/service.yaml`',
          '',
          `Merge this pull request to deploy; the GitOps controller applies it from the base branch. Later deploys of acme/hello to production add commits to \`${HEAD_BRANCH}\`.`,
        ].join('\n'),
      });
    });

    it('adds a commit on top of an existing branch and reports its open pull request without opening another', async () => {
      const branchHead = 'e'.repeat(40);
      const branchTree = 'f'.repeat(40);
      github.api.get(`${REPO}/branches/${HEAD_REF}`).reply(200, branchReply(branchHead, branchTree, HEAD_BRANCH));
      github.api.get(`${REPO}/contents/.github%2Fs2i-policy.yml`).query({ ref: 'main' }).reply(200, POLICY_TEXT, rawText);
      github.api.post(`${REPO}/git/trees`, treeBody(branchTree)).reply(201, { sha: NEW_TREE });
      github.api.post(`${REPO}/git/commits`, { message: change.message, tree: NEW_TREE, parents: [branchHead] }).reply(201, commitReply(NEW_COMMIT));
      github.api.patch(`${REPO}/git/refs/heads%2F${HEAD_REF}`, { sha: NEW_COMMIT, force: false }).reply(200, {});
      github.api.get(`${REPO}/pulls`).query({ head: `acme:${HEAD_BRANCH}`, state: 'open' }).reply(200, [{ number: 7, html_url: 'https://github.com/acme/cluster-config/pull/7' }]);

      const outcome = await prRepo().write(change, async (read) => {
        await read(POLICY);
      });

      expect(outcome).toEqual({ status: 'pull-request', commitSha: NEW_COMMIT, number: 7, url: 'https://github.com/acme/cluster-config/pull/7', created: false, attempts: 1 });
      expect(requestLines(github)).toEqual([
        `GET ${REPO}/branches/${HEAD_REF}`,
        `GET ${REPO}/contents/.github%2Fs2i-policy.yml?ref=main`,
        `POST ${REPO}/git/trees`,
        `POST ${REPO}/git/commits`,
        `PATCH ${REPO}/git/refs/heads%2F${HEAD_REF}`,
        `GET ${REPO}/pulls?head=acme%3As2i%2Fproduction%2Facme-hello&state=open`,
      ]);
    });

    it('reports the open pull request when the branch already holds the files, without committing', async () => {
      const branchHead = 'e'.repeat(40);
      const branchTree = 'f'.repeat(40);
      github.api.get(`${REPO}/branches/${HEAD_REF}`).reply(200, branchReply(branchHead, branchTree, HEAD_BRANCH));
      github.api.post(`${REPO}/git/trees`, treeBody(branchTree)).reply(201, { sha: branchTree });
      github.api.get(`${REPO}/pulls`).query({ head: `acme:${HEAD_BRANCH}`, state: 'open' }).reply(200, [{ number: 7, html_url: 'https://github.com/acme/cluster-config/pull/7' }]);

      const outcome = await prRepo().write(change);

      expect(outcome).toEqual({ status: 'pull-request', commitSha: branchHead, number: 7, url: 'https://github.com/acme/cluster-config/pull/7', created: false, attempts: 1 });
    });

    it('does not create a branch when the base already holds the files', async () => {
      github.api.get(`${REPO}/branches/${HEAD_REF}`).reply(404, { message: 'Branch not found' });
      github.api.get(`${REPO}/branches/main`).reply(200, branchReply(HEAD, HEAD_TREE));
      github.api.post(`${REPO}/git/trees`, treeBody(HEAD_TREE)).reply(201, { sha: HEAD_TREE });

      const outcome = await prRepo().write(change);

      expect(outcome).toEqual({ status: 'unchanged', headSha: HEAD, attempts: 1 });
    });
  });

  describe('pullRequestBranch', () => {
    it.each([
      ['production', 'acme/hello', 's2i/production/acme-hello'],
      ['staging eu', 'Acme/hello.world', 's2i/staging-eu/Acme-hello.world'],
      ['..', 'acme/x.lock', 's2i/unnamed/acme-x'],
      ['prod~1^:?*[', '.hidden/..repo', 's2i/prod-1-/hidden-.repo'],
    ])('names the branch of %s from %s: %s', (environment, sourceRepo, branch) => {
      expect(pullRequestBranch(environment, sourceRepo)).toBe(branch);
    });
  });

  it('refuses unusable paths before any call', async () => {
    const error = await rejectionOf(configRepo().write({ ...change, files: [{ path: 'apps/../../etc/passwd', content: '' }] }));

    expect(error).toBeInstanceOf(ConfigRepoError);
    expect((error as ConfigRepoError).reason).toBe('refusing to write "apps/../../etc/passwd" into acme/cluster-config@main: the path contains a ".." segment');
  });
});
