import { generateKeyPairSync } from 'node:crypto';
import { pino } from 'pino';
import { Probot } from 'probot';
import { ProductionOctokit } from '../../src/github/production-octokit.js';
import { BotMetrics } from '../../src/metrics/bot-metrics.js';
import { assertGitHubDone, mockGitHub, requestLines, type GitHubMock } from '../support/github-api.js';

const REPO = '/repos/acme/hello';

describe('metrics/github-request-metrics', () => {
  let github: GitHubMock;

  beforeEach(() => {
    github = mockGitHub();
  });

  afterEach(() => assertGitHubDone(github));

  /** An installation's Octokit, made by Probot from the production Octokit as `npm start` configures it. */
  async function installationOctokit(metrics: BotMetrics): Promise<Awaited<ReturnType<Probot['auth']>>> {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const probot = new Probot({ appId: 1, privateKey, Octokit: ProductionOctokit.defaults({ githubMetrics: metrics }), log: pino({ level: 'silent' }) });
    return probot.auth(1);
  }

  it('counts the requests of an installation by method and status, its token included, and keeps the rate limit left', async () => {
    github.api.post('/app/installations/1/access_tokens').reply(201, { token: 'ghs_installation', expires_at: '2099-01-01T00:00:00Z' });
    github.api.get(REPO).reply(200, { full_name: 'acme/hello', default_branch: 'main' }, { 'x-ratelimit-remaining': '4999' });
    github.api.get(`${REPO}/contents/.github%2Fs2i.yml`).reply(404, { message: 'Not Found' }, { 'x-ratelimit-remaining': '4998' });
    const metrics = new BotMetrics();
    const octokit = await installationOctokit(metrics);

    await octokit.rest.repos.get({ owner: 'acme', repo: 'hello' });
    const missing = await octokit.rest.repos.getContent({ owner: 'acme', repo: 'hello', path: '.github/s2i.yml' }).catch((error: { status: number }) => error.status);
    const text = (await metrics.exposition()).text.split('\n');

    expect(missing).toBe(404);
    expect(requestLines(github)).toEqual(['POST /app/installations/1/access_tokens', `GET ${REPO}`, `GET ${REPO}/contents/.github%2Fs2i.yml`]);
    expect(text).toContain('s2i_bot_github_api_requests_total{method="POST",status="201"} 1');
    expect(text).toContain('s2i_bot_github_api_requests_total{method="GET",status="200"} 1');
    expect(text).toContain('s2i_bot_github_api_requests_total{method="GET",status="404"} 1');
    expect(text).toContain('s2i_bot_github_rate_limit_remaining 4998');
  });

  it('counts a request GitHub answered only after a retry once, with the status that ended it', async () => {
    github.api.get(REPO).reply(502, { message: 'Server Error' });
    github.api.get(REPO).reply(200, { full_name: 'acme/hello' }, { 'x-ratelimit-remaining': '17' });
    const metrics = new BotMetrics();
    const octokit = new ProductionOctokit({ auth: { token: 'test-token' }, baseUrl: 'https://api.github.com', githubMetrics: metrics });

    await octokit.rest.repos.get({ owner: 'acme', repo: 'hello' });
    const text = (await metrics.exposition()).text.split('\n');

    expect(requestLines(github)).toEqual([`GET ${REPO}`, `GET ${REPO}`]);
    expect(text.filter((line) => line.startsWith('s2i_bot_github_api_requests_total{'))).toEqual(['s2i_bot_github_api_requests_total{method="GET",status="200"} 1']);
    expect(text).toContain('s2i_bot_github_rate_limit_remaining 17');
  });
});
