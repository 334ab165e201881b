import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { readRepoConfig, type ConfigLocation } from '../../src/config/read-repo-config.js';
import { assertGitHubDone, mockGitHub, requestLines, testOctokit, type GitHubMock } from '../support/github-api.js';

const SHA = '2f1d0c6a9b8e7d6c5b4a39281706f5e4d3c2b1a0';
const AT: ConfigLocation = { owner: 'o', repo: 'r', commit: { sha: SHA }, defaultBranch: 'main' };
const OWN_PATH = `/repos/o/r/contents/.github%2Fs2i.yml`;
const BASE_PATH = `/repos/o/other-repo/contents/.github%2Fs2i.yml`;
/** What GitHub answers a raw contents request for a text file with (as recorded in octokit's fixtures). */
const rawText = { 'content-type': 'application/vnd.github.v3.raw; charset=utf-8' };
const notFound = { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/repos/contents#get-repository-content' };

const OWN = ['builder: registry.example.com/s2i/nodejs:20', 'image: registry.example.com/o/r', 'gitops:', '  repo: o/cluster-config', ''].join('\n');

describe('src/config/read-repo-config', () => {
  let github: GitHubMock;
  beforeEach(() => {
    github = mockGitHub();
  });
  afterEach(() => assertGitHubDone(github));

  it('reads .github/s2i.yml as raw text at the pushed commit, not the default branch', async () => {
    github.api.get(OWN_PATH).query({ ref: SHA }).reply(200, OWN, rawText);

    const loaded = await readRepoConfig(testOctokit(), AT);

    expect(requestLines(github)).toEqual([`GET ${OWN_PATH}?ref=${SHA}`]);
    expect(github.requests[0].headers.accept).toBe('application/vnd.github.v3.raw');
    expect(loaded).toEqual({
      status: 'ok',
      config: expect.objectContaining({
        builder: 'registry.example.com/s2i/nodejs:20',
        image: 'registry.example.com/o/r',
        branches: { main: { environment: 'production' } },
        deploy: expect.objectContaining({ name: 'r', namespace: 'default' }),
      }),
    });
  });

  it('reports a missing file (404) as missing, so the push is ignored', async () => {
    github.api.get(OWN_PATH).query({ ref: SHA }).reply(404, notFound);

    const loaded = await readRepoConfig(testOctokit(), AT);

    expect(loaded).toEqual({ status: 'missing' });
    expect(requestLines(github)).toEqual([`GET ${OWN_PATH}?ref=${SHA}`]);
  });

  it('reads a file GitHub sends as bytes (no charset)', async () => {
    github.api.get(OWN_PATH).query({ ref: SHA }).reply(200, Buffer.from(OWN), { 'content-type': 'application/vnd.github.raw' });

    const loaded = await readRepoConfig(testOctokit(), AT);

    expect(loaded.status).toBe('ok');
  });

  it('reports a directory at .github/s2i.yml as an invalid config', async () => {
    github.api.get(OWN_PATH).query({ ref: SHA }).reply(200, [{ type: 'file', name: 'a.yml', path: '.github/s2i.yml/a.yml' }]);

    const loaded = await readRepoConfig(testOctokit(), AT);

    expect(loaded).toEqual({ status: 'invalid', problems: [{ path: '', message: 'o/r:.github/s2i.yml is a directory or a submodule, not a file; make it a YAML file' }] });
  });

  it('throws any other GitHub error instead of taking the file for missing', async () => {
    github.api.get(OWN_PATH).query({ ref: SHA }).reply(500, { message: 'Server Error' });

    await expect(readRepoConfig(testOctokit(), AT)).rejects.toMatchObject({ status: 500 });
  });

  it('reports an invalid file with the line of each problem', async () => {
    github.api.get(OWN_PATH).query({ ref: SHA }).reply(200, `${OWN}deploy:\n  replicas: many\n`, rawText);

    const loaded = await readRepoConfig(testOctokit(), AT);

    expect(loaded).toEqual({ status: 'invalid', problems: [expect.objectContaining({ path: 'deploy.replicas', line: 6 })] });
  });

  it('reads the _extends base from the default branch of the other repo (no ref) and merges it under the file: the app wins', async () => {
    const own = ['_extends: other-repo', 'image: registry.example.com/o/r', 'deploy:', '  replicas: 3', ''].join('\n');
    const base = [
      'builder: registry.example.com/s2i/nodejs:20',
      'image: registry.example.com/o/base',
      'deploy:',
      '  namespace: shared',
      '  replicas: 1',
      'gitops:',
      '  repo: o/cluster-config',
      '',
    ].join('\n');
    github.api.get(OWN_PATH).query({ ref: SHA }).reply(200, own, rawText);
    github.api.get(BASE_PATH).reply(200, base, rawText);

    const loaded = await readRepoConfig(testOctokit(), AT);

    expect(requestLines(github)).toEqual([`GET ${OWN_PATH}?ref=${SHA}`, `GET ${BASE_PATH}`]);
    expect(loaded.status).toBe('ok');
    const { config } = loaded as Extract<typeof loaded, { status: 'ok' }>;
    expect(config).toMatchObject({
      builder: 'registry.example.com/s2i/nodejs:20',
      image: 'registry.example.com/o/r',
      deploy: { name: 'r', namespace: 'shared', replicas: 3 },
      gitops: { repo: 'o/cluster-config' },
    });
    expect(config).not.toHaveProperty('_extends');
  });

  it('reports an _extends target that does not exist as invalid, naming it', async () => {
    github.api.get(OWN_PATH).query({ ref: SHA }).reply(200, `_extends: other-repo\n${OWN}`, rawText);
    github.api.get(BASE_PATH).reply(404, notFound);

    const loaded = await readRepoConfig(testOctokit(), AT);

    expect(loaded).toEqual({
      status: 'invalid',
      problems: [{ path: '_extends', message: '_extends: o/other-repo:.github/s2i.yml does not exist or the App cannot read it' }],
    });
  });

  it('reports a base that is not safe YAML as invalid, naming the base file and line', async () => {
    github.api.get(OWN_PATH).query({ ref: SHA }).reply(200, `_extends: other-repo\n${OWN}`, rawText);
    github.api.get(BASE_PATH).reply(200, 'builder: a\nimage: !!js/function "x"\n', rawText);

    const loaded = await readRepoConfig(testOctokit(), AT);

    expect(loaded.status).toBe('invalid');
    const { problems } = loaded as Extract<typeof loaded, { status: 'invalid' }>;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path: '_extends' });
    expect(problems[0].message).toMatch(/^_extends: o\/other-repo:\.github\/s2i\.yml line 2: /);
  });

  it('reports a value only the base sets wrongly at the _extends line, saying it comes from the base', async () => {
    github.api.get(OWN_PATH).query({ ref: SHA }).reply(200, `_extends: other-repo\n${OWN}`, rawText);
    github.api.get(BASE_PATH).reply(200, 'deploy:\n  replicas: many\n', rawText);

    const loaded = await readRepoConfig(testOctokit(), AT);

    expect(loaded).toEqual({
      status: 'invalid',
      problems: [expect.objectContaining({ path: 'deploy.replicas', line: 1, message: 'deploy.replicas: expected an integer ≥ 0, got "many" (set by the _extends base)' })],
    });
  });

  it.each([
    ['a traversal path', '"other-repo:../../etc/passwd.yml"'],
    ['not a repository name', '"not a repo!"'],
  ])('reports an _extends value that is %s as invalid without reading any other repo', async (_what, value) => {
    github.api.get(OWN_PATH).query({ ref: SHA }).reply(200, `_extends: ${value}\n${OWN}`, rawText);

    const loaded = await readRepoConfig(testOctokit(), AT);

    expect(requestLines(github)).toEqual([`GET ${OWN_PATH}?ref=${SHA}`]);
    expect(loaded).toEqual({ status: 'invalid', problems: [expect.objectContaining({ path: '_extends', message: expect.stringContaining('is not a valid target') })] });
  });

  it('reads owner/repo:path targets from that owner, repo and path', async () => {
    github.api.get(OWN_PATH).query({ ref: SHA }).reply(200, `_extends: acme/defaults:s2i/base.yml\n${OWN}`, rawText);
    github.api.get('/repos/acme/defaults/contents/s2i%2Fbase.yml').reply(200, 'deploy:\n  namespace: from-acme\n', rawText);

    const loaded = await readRepoConfig(testOctokit(), AT);

    expect(requestLines(github)).toEqual([`GET ${OWN_PATH}?ref=${SHA}`, 'GET /repos/acme/defaults/contents/s2i%2Fbase.yml']);
    expect(loaded).toMatchObject({ status: 'ok', config: { deploy: { namespace: 'from-acme' } } });
  });
});
