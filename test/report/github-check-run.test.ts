import { GitHubChecks } from '../../src/report/github-check-run.js';
import { assertGitHubDone, mockGitHub, requestLines, testOctokit, type GitHubMock } from '../support/github-api.js';

const SHA = '6113728f27ae82c7b1a177c8d03f9e96e0adf246';
const CHECKS = '/repos/acme/hello/check-runs';

describe('report/github-check-run', () => {
  let github: GitHubMock;
  const errors: string[] = [];

  beforeEach(() => {
    github = mockGitHub();
    errors.length = 0;
  });

  afterEach(() => assertGitHubDone(github));

  function checks(refreshIntervalMs: number): GitHubChecks {
    return new GitHubChecks(testOctokit(), {
      owner: 'acme',
      repo: 'hello',
      headSha: SHA,
      refreshIntervalMs,
      onError: (error, name) => errors.push(`${name}: ${(error as Error).message}`),
    });
  }

  it('creates the check run in progress, then completes the same run', async () => {
    github.api.post(CHECKS).reply(201, { id: 7 });
    github.api.patch(`${CHECKS}/7`).reply(200, { id: 7 });
    const check = checks(60_000).check('s2i/build');

    await check.progress({ title: 'Building', summary: 'builder x' });
    await check.complete('success', { title: 'Built', summary: 'image y' }, { detailsUrl: 'https://example.com/run' });

    expect(requestLines(github)).toEqual([`POST ${CHECKS}`, `PATCH ${CHECKS}/7`]);
    expect(github.requests[0].body).toMatchObject({ name: 's2i/build', head_sha: SHA, status: 'in_progress', output: { title: 'Building', summary: 'builder x' } });
    expect(github.requests[1].body).toMatchObject({ status: 'completed', conclusion: 'success', output: { title: 'Built' }, details_url: 'https://example.com/run' });
    expect([check.started, check.completed]).toEqual([true, true]);
  });

  it('coalesces log refreshes within the interval and drops a pending one on completion', async () => {
    github.api.post(CHECKS).reply(201, { id: 8 });
    github.api.patch(`${CHECKS}/8`).reply(200, { id: 8 });
    const check = checks(60_000).check('s2i/build');

    await check.progress({ title: 'Building', summary: '' });
    for (let line = 1; line <= 20; line += 1) await check.progress({ title: 'Building', summary: '', text: `line ${line}` });
    await check.complete('failure', { title: 'Assemble failed', summary: 'why' });

    expect(requestLines(github)).toEqual([`POST ${CHECKS}`, `PATCH ${CHECKS}/8`]);
    expect(github.requests[1].body).toMatchObject({ status: 'completed', conclusion: 'failure' });
  });

  it('sends the latest log once the interval has passed', async () => {
    github.api.post(CHECKS).reply(201, { id: 9 });
    github.api.patch(`${CHECKS}/9`).reply(200, { id: 9 });
    github.api.patch(`${CHECKS}/9`).reply(200, { id: 9 });
    const check = checks(20).check('s2i/build');

    await check.progress({ title: 'Building', summary: '' });
    await check.progress({ title: 'Building', summary: '', text: 'line 1' });
    await check.progress({ title: 'Building', summary: '', text: 'line 2' });
    await new Promise((resolve) => setTimeout(resolve, 60));
    await check.complete('success', { title: 'Built', summary: '' });

    expect(requestLines(github)).toEqual([`POST ${CHECKS}`, `PATCH ${CHECKS}/9`, `PATCH ${CHECKS}/9`]);
    expect(github.requests[1].body).toEqual({ output: { title: 'Building', summary: '', text: 'line 2' } });
  });

  it('creates a check that fails before it started as completed in one request', async () => {
    github.api.post(CHECKS).reply(201, { id: 10 });
    const check = checks(60_000).check('s2i/build');

    await check.complete('failure', { title: 'Config failed', summary: 'bad key' });
    await check.complete('success', { title: 'ignored', summary: '' });

    expect(requestLines(github)).toEqual([`POST ${CHECKS}`]);
    expect(github.requests[0].body).toMatchObject({ name: 's2i/build', status: 'completed', conclusion: 'failure' });
  });

  it('reports a refused check-run write instead of throwing into the run', async () => {
    github.api.post(CHECKS).reply(403, { message: 'Resource not accessible by integration' });
    const check = checks(60_000).check('s2i/deploy');

    await check.progress({ title: 'Deploying', summary: '' });
    await check.complete('success', { title: 'Deployed', summary: '' });

    expect(errors).toEqual(['s2i/deploy: Resource not accessible by integration']);
    expect(requestLines(github)).toEqual([`POST ${CHECKS}`]);
  });
});
