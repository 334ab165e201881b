import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { ConfigRepoError, type ConfigRepoWrite } from '../../src/gitops/config-repo.js';
import { GitHubConfigRepo } from '../../src/gitops/github-config-repo.js';
import { ProductionOctokit } from '../../src/github/production-octokit.js';
import { assertGitHubDone, mockGitHub, requestLines, type GitHubMock } from '../support/github-api.js';
import { rejectionOf } from '../support/rejection.js';

const REPO = '/repos/acme/cluster-config';
const HEAD = 'a'.repeat(40);
const HEAD_TREE = 'b'.repeat(40);
const NEW_TREE = 'c'.repeat(40);
const NEW_COMMIT = 'd'.repeat(40);
const SECONDARY_LIMIT = { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' };

const change: ConfigRepoWrite = {
  files: [{ path: 'apps/hello/production/deployment.yaml', content: 'kind: Deployment\n' }],
  message: 'deploy(production): acme/hello@1234567 Add greeting',
  environment: 'production',
  sourceRepo: 'acme/hello',
};
const treeBody = { base_tree: HEAD_TREE, tree: [{ path: change.files[0].path, mode: '100644', type: 'blob', content: 'kind: Deployment\n' }] };
const commitBody = { message: change.message, tree: NEW_TREE, parents: [HEAD] };
const branchReply = { name: 'main', commit: { sha: HEAD, commit: { tree: { sha: HEAD_TREE } } } };
const commitReply = { sha: NEW_COMMIT, html_url: `https://github.com/acme/cluster-config/commit/${NEW_COMMIT}` };

/**
 * The config repo written through the Octokit the running bot uses (retries and throttling as configured for
 * production). `retryAfterBaseValue` shortens the retry plugin's waits after a 5xx (1 s, 4 s, 9 s by default),
 * which would make a test sleep for seconds; secondary rate limits wait what `retry-after` says, as in production.
 */
function configRepo(retry: { retryAfterBaseValue?: number } = {}): GitHubConfigRepo {
  const octokit = new ProductionOctokit({ auth: { token: 'test-token' }, baseUrl: 'https://api.github.com', retry });
  return new GitHubConfigRepo({ octokit, owner: 'acme', repo: 'cluster-config', branch: 'main', mode: 'commit', retryDelayMs: 0 });
}

jest.setTimeout(15_000);

describe('outage: GitHub answers 5xx or a secondary rate limit while the bot deploys', () => {
  let github: GitHubMock;
  beforeEach(() => {
    github = mockGitHub();
  });
  afterEach(() => assertGitHubDone(github));

  it('lands the deploy although reading the branch and creating the commit got a 502 first: each is sent again', async () => {
    github.api.get(`${REPO}/branches/main`).reply(502, { message: 'Server Error' });
    github.api.get(`${REPO}/branches/main`).reply(200, branchReply);
    github.api.post(`${REPO}/git/trees`, treeBody).reply(201, { sha: NEW_TREE });
    github.api.post(`${REPO}/git/commits`, commitBody).reply(502, { message: 'Server Error' });
    github.api.post(`${REPO}/git/commits`, commitBody).reply(201, commitReply);
    github.api.patch(`${REPO}/git/refs/heads%2Fmain`, { sha: NEW_COMMIT, force: false }).reply(200, { ref: 'refs/heads/main' });

    const outcome = await configRepo({ retryAfterBaseValue: 100 }).write(change);

    expect(outcome).toEqual({ status: 'committed', commitSha: NEW_COMMIT, url: commitReply.html_url, attempts: 1 });
    expect(requestLines(github)).toEqual([
      `GET ${REPO}/branches/main`,
      `GET ${REPO}/branches/main`,
      `POST ${REPO}/git/trees`,
      `POST ${REPO}/git/commits`,
      `POST ${REPO}/git/commits`,
      `PATCH ${REPO}/git/refs/heads%2Fmain`,
    ]);
  });

  it('waits out a secondary rate limit on the tree (retry-after: 1) and then lands the deploy', async () => {
    github.api.get(`${REPO}/branches/main`).reply(200, branchReply);
    github.api.post(`${REPO}/git/trees`, treeBody).reply(403, SECONDARY_LIMIT, { 'retry-after': '1' });
    github.api.post(`${REPO}/git/trees`, treeBody).reply(201, { sha: NEW_TREE });
    github.api.post(`${REPO}/git/commits`, commitBody).reply(201, commitReply);
    github.api.patch(`${REPO}/git/refs/heads%2Fmain`, { sha: NEW_COMMIT, force: false }).reply(200, { ref: 'refs/heads/main' });
    const started = Date.now();

    const outcome = await configRepo().write(change);

    expect(outcome.status).toBe('committed');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(requestLines(github)).toEqual([`GET ${REPO}/branches/main`, `POST ${REPO}/git/trees`, `POST ${REPO}/git/trees`, `POST ${REPO}/git/commits`, `PATCH ${REPO}/git/refs/heads%2Fmain`]);
  });

  it('gives up on a 502 that does not go away after 4 requests, saying GitHub had a problem and writing nothing', async () => {
    for (let request = 0; request < 4; request += 1) github.api.get(`${REPO}/branches/main`).reply(502, { message: 'Server Error' });

    const error = await rejectionOf(configRepo({ retryAfterBaseValue: 10 }).write(change), ConfigRepoError);

    expect(error.reason).toBe('GitHub answered 502 when the bot tried to read branch main in acme/cluster-config@main');
    expect(error.hint).toBe('GitHub had a problem; retry with /s2i rebuild or push again');
    expect(requestLines(github)).toEqual(Array(4).fill(`GET ${REPO}/branches/main`));
  });

  it('gives up on a secondary rate limit that keeps coming back on the ref update after 3 requests, saying to wait', async () => {
    github.api.get(`${REPO}/branches/main`).reply(200, branchReply);
    github.api.post(`${REPO}/git/trees`, treeBody).reply(201, { sha: NEW_TREE });
    github.api.post(`${REPO}/git/commits`, commitBody).reply(201, commitReply);
    for (let request = 0; request < 3; request += 1) github.api.patch(`${REPO}/git/refs/heads%2Fmain`, { sha: NEW_COMMIT, force: false }).reply(403, SECONDARY_LIMIT, { 'retry-after': '1' });

    const error = await rejectionOf(configRepo().write(change), ConfigRepoError);

    expect(error.reason).toBe("GitHub's rate limit refused the bot's request to update main in acme/cluster-config");
    expect(error.hint).toBe('wait a few minutes, then retry with /s2i rebuild or push again');
    expect(requestLines(github).slice(3)).toEqual(Array(3).fill(`PATCH ${REPO}/git/refs/heads%2Fmain`));
  });
});
