import { ProductionOctokit } from '../../src/github/production-octokit.js';
import { assertGitHubDone, mockGitHub, requestLines, type GitHubMock } from '../support/github-api.js';

const CHECKS = '/repos/acme/hello/check-runs';
const body = { name: 's2i/build', head_sha: '6113728f27ae82c7b1a177c8d03f9e96e0adf246', status: 'in_progress' as const };

describe('github/production-octokit', () => {
  let github: GitHubMock;

  beforeEach(() => {
    github = mockGitHub();
  });

  afterEach(() => assertGitHubDone(github));

  function octokit(): InstanceType<typeof ProductionOctokit> {
    return new ProductionOctokit({ auth: { token: 'test-token' }, baseUrl: 'https://api.github.com' });
  }

  it('waits out a secondary rate limit (retry-after) and retries the request', async () => {
    github.api.post(CHECKS).reply(403, { message: 'You have exceeded a secondary rate limit.' }, { 'retry-after': '1' });
    github.api.post(CHECKS).reply(201, { id: 1 });

    const { data } = await octokit().rest.checks.create({ owner: 'acme', repo: 'hello', ...body });

    expect(data.id).toBe(1);
    expect(requestLines(github)).toEqual([`POST ${CHECKS}`, `POST ${CHECKS}`]);
  });

  it('retries a 502 from GitHub', async () => {
    github.api.post(CHECKS).reply(502, { message: 'Server Error' });
    github.api.post(CHECKS).reply(201, { id: 2 });

    const { data } = await octokit().rest.checks.create({ owner: 'acme', repo: 'hello', ...body });

    expect(data.id).toBe(2);
    expect(requestLines(github)).toEqual([`POST ${CHECKS}`, `POST ${CHECKS}`]);
  });

  it('gives up on a secondary rate limit that keeps coming back', async () => {
    for (let attempt = 0; attempt < 3; attempt += 1) github.api.post(CHECKS).reply(403, { message: 'You have exceeded a secondary rate limit.' }, { 'retry-after': '1' });

    const failure = await octokit().rest.checks.create({ owner: 'acme', repo: 'hello', ...body }).catch((error: unknown) => error as { status: number });

    expect(failure.status).toBe(403);
    expect(requestLines(github)).toHaveLength(3);
  }, 15_000);
});
