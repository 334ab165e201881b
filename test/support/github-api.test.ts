import { afterEach, describe, expect, it } from '@jest/globals';
import { assertGitHubDone, checkGitHubRequest, mockGitHub, requestLines, testOctokit, type GitHubMock } from './github-api.js';

const owner = 'acme';
const repo = 'cluster-config';

/** Runs a request and swallows its failure: these tests are about what the mock reports, not the client. */
async function attempt(request: Promise<unknown>): Promise<void> {
  await request.catch(() => undefined);
}

/** The failure message of assertGitHubDone, or undefined when it passed. */
function doneFailure(mock: GitHubMock): string | undefined {
  try {
    assertGitHubDone(mock);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

describe('test/support/github-api', () => {
  let github: GitHubMock | undefined;
  afterEach(() => {
    // Every test finishes its own mock; this only cleans up after a test that failed half-way.
    if (github) doneFailure(github);
    github = undefined;
  });

  it('passes a request that matches its interceptor and the OpenAPI description, and records it', async () => {
    github = mockGitHub();
    github.api.patch(`/repos/${owner}/${repo}/git/refs/heads%2Fmain`, { sha: 'c0ffee', force: false }).reply(200, { ref: 'refs/heads/main' });

    const response = await testOctokit().rest.git.updateRef({ owner, repo, ref: 'heads/main', sha: 'c0ffee', force: false });

    expect(response.status).toBe(200);
    expect(requestLines(github)).toEqual([`PATCH /repos/${owner}/${repo}/git/refs/heads%2Fmain`]);
    expect(github.requests[0]).toMatchObject({ body: { sha: 'c0ffee', force: false }, operationId: 'git/update-ref', template: '/repos/{owner}/{repo}/git/refs/{ref}' });
    expect(github.requests[0].headers.authorization).toBe('token test-token');
    expect(doneFailure(github)).toBeUndefined();
  });

  it('checks query parameters and records them', async () => {
    github = mockGitHub();
    github.api.get(`/repos/${owner}/${repo}/contents/.github%2Fs2i-policy.yml`).query({ ref: 'abc123' }).reply(200, 'allow: []\n', { 'content-type': 'text/plain; charset=utf-8' });

    const response = await testOctokit().rest.repos.getContent({ owner, repo, path: '.github/s2i-policy.yml', ref: 'abc123', mediaType: { format: 'raw' } });

    expect(response.data).toBe('allow: []\n');
    expect(requestLines(github)).toEqual([`GET /repos/${owner}/${repo}/contents/.github%2Fs2i-policy.yml?ref=abc123`]);
    expect(github.requests[0].operationId).toBe('repos/get-content');
    expect(doneFailure(github)).toBeUndefined();
  });

  it('reports a body the OpenAPI description rejects (a check run with status "done")', async () => {
    github = mockGitHub();
    github.api.post(`/repos/${owner}/app/check-runs`).reply(201, { id: 1 });

    await attempt(testOctokit().rest.checks.create({ owner, repo: 'app', name: 's2i/build', head_sha: 'c0ffee', status: 'done' as 'completed' }));

    expect(doneFailure(github)).toBe(
      [
        'GitHub mock not satisfied:',
        `  - request breaks GitHub's OpenAPI description: POST /repos/${owner}/app/check-runs (checks/create): body.status must be equal to one of the allowed values ("queued", "in_progress", "completed")`,
      ].join('\n'),
    );
  });

  it('reports a wrongly typed body property (force: "yes" on a ref update)', async () => {
    github = mockGitHub();
    github.api.patch(`/repos/${owner}/${repo}/git/refs/heads%2Fmain`).reply(200, {});

    await attempt(testOctokit().rest.git.updateRef({ owner, repo, ref: 'heads/main', sha: 'c0ffee', force: 'yes' as unknown as boolean }));

    expect(doneFailure(github)).toContain(`PATCH /repos/${owner}/${repo}/git/refs/heads%2Fmain (git/update-ref): body.force must be boolean`);
  });

  it('reports a misspelt body property and an undeclared query parameter', () => {
    const tree = checkGitHubRequest('POST', `/repos/${owner}/${repo}/git/trees`, JSON.stringify({ basetree: 'abc', tree: [] }));
    const pulls = checkGitHubRequest('GET', `/repos/${owner}/${repo}/pulls?head=${owner}:x&status=open`);

    expect(tree.problems).toEqual(['body has undeclared property "basetree"']);
    expect(pulls).toEqual({ operationId: 'pulls/list', template: '/repos/{owner}/{repo}/pulls', problems: ['undeclared parameter "status"'] });
  });

  it('matches static segments before parameters and lets multi-segment parameters span slashes', () => {
    const protection = checkGitHubRequest('GET', `/repos/${owner}/${repo}/branches/release/v1/protection`);
    const branch = checkGitHubRequest('GET', `/repos/${owner}/${repo}/branches/release/v1`);
    const ref = checkGitHubRequest('PATCH', `/repos/${owner}/${repo}/git/refs/heads/release/v1`, JSON.stringify({ sha: 'abc' }));

    expect(protection).toMatchObject({ template: '/repos/{owner}/{repo}/branches/{branch}/protection', problems: [] });
    expect(branch).toMatchObject({ template: '/repos/{owner}/{repo}/branches/{branch}', problems: [] });
    expect(ref).toMatchObject({ operationId: 'git/update-ref', problems: [] });
  });

  it('reports a path GitHub does not have and a method a path does not take', async () => {
    github = mockGitHub();
    github.api.get(`/repos/${owner}/${repo}/no-such-thing`).reply(200, {});
    github.api.delete(`/repos/${owner}/${repo}/git/trees/abc`).reply(204);

    await attempt(testOctokit().request('GET /repos/{owner}/{repo}/no-such-thing', { owner, repo }));
    await attempt(testOctokit().request('DELETE /repos/{owner}/{repo}/git/trees/{sha}', { owner, repo, sha: 'abc' }));

    expect(doneFailure(github)).toBe(
      [
        'GitHub mock not satisfied:',
        `  - request breaks GitHub's OpenAPI description: GET /repos/${owner}/${repo}/no-such-thing: no path of GitHub's OpenAPI description matches /repos/${owner}/${repo}/no-such-thing`,
        `  - request breaks GitHub's OpenAPI description: DELETE /repos/${owner}/${repo}/git/trees/abc: /repos/{owner}/{repo}/git/trees/{tree_sha} has no DELETE operation (it has GET)`,
      ].join('\n'),
    );
  });

  it('reports an interceptor that was never called', () => {
    github = mockGitHub();
    github.api.get(`/repos/${owner}/${repo}`).reply(200, {});

    const failure = doneFailure(github);

    expect(failure).toBe(['GitHub mock not satisfied:', `  - interceptor never called: GET https://api.github.com:443/repos/${owner}/${repo}`].join('\n'));
  });

  it('reports a request no interceptor matched, and the client sees it fail', async () => {
    github = mockGitHub();
    github.api.get(`/repos/${owner}/${repo}`).reply(200, {});

    const error = await testOctokit()
      .rest.repos.get({ owner, repo: 'other' })
      .then(() => undefined, (caught: unknown) => caught);
    await testOctokit().rest.repos.get({ owner, repo });

    expect(String(error)).toContain('No match for request');
    expect(doneFailure(github)).toBe(['GitHub mock not satisfied:', `  - request matched no interceptor: GET https://api.github.com/repos/${owner}/other`].join('\n'));
  });

  it('reports a request to GitHub after every interceptor was used', async () => {
    github = mockGitHub();
    github.api.get(`/repos/${owner}/${repo}`).reply(200, {});

    await testOctokit().rest.repos.get({ owner, repo });
    await attempt(testOctokit().rest.repos.get({ owner, repo }));

    expect(doneFailure(github)).toBe(['GitHub mock not satisfied:', `  - request matched no interceptor: GET https://api.github.com/repos/${owner}/${repo}`].join('\n'));
  });

  it('leaves loopback reachable and reports nothing about it', async () => {
    github = mockGitHub();
    const { createServer } = await import('node:http');
    const server = createServer((_request, response) => response.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };

    const answer = await fetch(`http://127.0.0.1:${port}/`).then((response) => response.text());
    await new Promise((resolve) => server.close(resolve));

    expect(answer).toBe('ok');
    expect(doneFailure(github)).toBeUndefined();
  });

  it('finishes a mock once: a second assert after a failure does not throw again', () => {
    github = mockGitHub();
    github.api.get(`/repos/${owner}/${repo}`).reply(200, {});

    expect(doneFailure(github)).toContain('interceptor never called');
    expect(doneFailure(github)).toBeUndefined();
  });
});
