import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { parse } from 'yaml';
import { s2iBot } from '../src/app.js';
import type { PushPayload } from '../src/events/push-event.js';
import { RunQueue } from '../src/queue/run-queue.js';
import { buildImage } from '../src/build/build-image.js';
import { pushImage } from '../src/registry/push-image.js';
import { buildTestBuilder, engine, HTML_BUILDER, NODEJS_BUILDER, removeImages, runInImage, tarOf, testSettings, uniqueTag, type FileTree } from './support/docker.js';
import { assertGitHubDone, mockGitHub, requestLines, type GitHubMock, type RecordedRequest } from './support/github-api.js';
import { mockTarball } from './support/github-tarball.js';
import { startBot, type RunningBot } from './support/probot.js';
import { startRegistry, type TestRegistry } from './support/registry.js';

const require = createRequire(import.meta.url);
const examples = require('@octokit/webhooks-examples/api.github.com/index.json') as Array<{ name: string; examples: PushPayload[] }>;
/** GitHub's own example of a push to a branch (`master` of Codertocat/Hello-World, installation 1). */
const PUSH = examples.find((example) => example.name === 'push')?.examples.find((push) => push.ref === 'refs/heads/master' && push.installation) as PushPayload;
const SHA = PUSH.after;
const APP_REPO = '/repos/Codertocat/Hello-World';
const CONFIG_REPO = '/repos/Codertocat/cluster-config';
const CONFIG_HEAD = 'a'.repeat(40);
const CONFIG_TREE = 'b'.repeat(40);
const NEW_TREE = 'c'.repeat(40);
const NEW_COMMIT = 'd'.repeat(40);

const POLICY = `allow:
  - repo: Codertocat/Hello-World
    paths: ["apps/hello/**"]
    namespaces: [demo]
`;

async function sampleApp(): Promise<FileTree> {
  const dir = join(process.cwd(), 'examples/hello-node');
  const files: FileTree = {};
  for (const name of await readdir(dir)) if (name !== '.github') files[name] = await readFile(join(dir, name), 'utf8');
  return files;
}

function configFor(image: string): string {
  return `builder: ${NODEJS_BUILDER}
image: ${image}
deploy:
  name: hello
  namespace: demo
  port: 8080
  service: { type: NodePort, port: 8080 }
  readinessProbe: { path: /, port: 8080, initialDelaySeconds: 5, timeoutSeconds: 2 }
gitops:
  repo: Codertocat/cluster-config
  branch: main
`;
}

function bodyOf(github: GitHubMock, line: string): Record<string, unknown> {
  const request = github.requests.find((candidate: RecordedRequest) => `${candidate.method} ${candidate.path}` === line);
  if (!request) throw new Error(`no request ${line}; saw:\n${requestLines(github).join('\n')}`);
  return request.body as Record<string, unknown>;
}

describe('app: push → S2I build → registry → config repo → check runs', () => {
  let registry: TestRegistry;
  let dockerConfig: string;
  let github: GitHubMock;
  let queue: RunQueue;
  let bot: RunningBot;
  let repository: string;
  const images: string[] = [];

  beforeAll(async () => {
    registry = await startRegistry();
    dockerConfig = await mkdtemp(join(tmpdir(), 's2i-bot-docker-config-'));
  });

  afterAll(async () => {
    await registry.stop();
    await rm(dockerConfig, { recursive: true, force: true });
    await removeImages(...images);
  });

  beforeEach(async () => {
    github = mockGitHub();
    queue = new RunQueue({ concurrency: 1 });
    bot = await startBot(s2iBot({ engine, settings: testSettings(), queue, env: { DOCKER_CONFIG: dockerConfig }, checkRefreshMs: 60_000 }));
    repository = `${registry.address}/it/hello-${uniqueTag()}`;
    images.push(`${repository}:${SHA}`);
  });

  afterEach(async () => {
    await bot.stop();
    assertGitHubDone(github);
  });

  function expectToken(): void {
    github.api.post('/app/installations/1/access_tokens').reply(201, { token: 'ghs_installation', expires_at: '2099-01-01T00:00:00Z' });
  }

  function expectDeploymentStart(id: number): void {
    github.api.post(`${APP_REPO}/deployments`).reply(201, { id });
    github.api.post(`${APP_REPO}/deployments/${id}/statuses`, (body) => body.state === 'in_progress').reply(201, { id: 1 });
  }

  function expectDeploymentEnd(id: number, state: 'success' | 'failure' = 'success'): void {
    github.api.post(`${APP_REPO}/deployments/${id}/statuses`, (body) => body.state === state).reply(201, { id: 2 });
  }

  function expectConfig(text: string | undefined): void {
    const interceptor = github.api.get(`${APP_REPO}/contents/.github%2Fs2i.yml`).query({ ref: SHA });
    if (text === undefined) interceptor.reply(404, { message: 'Not Found' });
    else interceptor.reply(200, text);
  }

  it('builds the pushed commit, pushes it, commits manifests pinned by digest and reports both checks', async () => {
    expectToken();
    expectConfig(configFor(repository));
    github.api.post(`${APP_REPO}/check-runs`).reply(201, { id: 11 });
    const codeload = await mockTarball(github, { owner: 'Codertocat', repo: 'Hello-World', sha: SHA, files: await sampleApp() });
    github.api.patch(`${APP_REPO}/check-runs/11`).reply(200, { id: 11 });
    expectDeploymentStart(71);
    github.api.get(`${CONFIG_REPO}/branches/main`).reply(200, { name: 'main', commit: { sha: CONFIG_HEAD, commit: { tree: { sha: CONFIG_TREE } } } });
    github.api.get(`${CONFIG_REPO}/contents/.github%2Fs2i-policy.yml`).query({ ref: CONFIG_HEAD }).reply(200, POLICY);
    github.api.get(`${CONFIG_REPO}/contents/apps%2Fhello%2Fproduction%2Fs2i-pin.yaml`).query({ ref: CONFIG_HEAD }).reply(404, { message: 'Not Found' });
    github.api.post(`${CONFIG_REPO}/git/trees`).reply(201, { sha: NEW_TREE });
    github.api.post(`${CONFIG_REPO}/git/commits`).reply(201, { sha: NEW_COMMIT, html_url: `https://github.com/Codertocat/cluster-config/commit/${NEW_COMMIT}` });
    github.api.patch(`${CONFIG_REPO}/git/refs/heads%2Fmain`).reply(200, { ref: 'refs/heads/main', object: { sha: NEW_COMMIT } });
    github.api.post(`${APP_REPO}/check-runs`).reply(201, { id: 12 });
    expectDeploymentEnd(71);

    const started = Date.now();
    const response = await bot.deliver('push', PUSH);
    const answeredMs = Date.now() - started;
    await queue.onIdle();

    expect(response.status).toBe(200);
    expect(answeredMs).toBeLessThan(5000);
    expect(codeload.isDone()).toBe(true);
    expect(requestLines(github)).toEqual([
      'POST /app/installations/1/access_tokens',
      `GET ${APP_REPO}/contents/.github%2Fs2i.yml?ref=${SHA}`,
      `POST ${APP_REPO}/check-runs`,
      `GET ${APP_REPO}/tarball/${SHA}`,
      `PATCH ${APP_REPO}/check-runs/11`,
      `POST ${APP_REPO}/deployments`,
      `POST ${APP_REPO}/deployments/71/statuses`,
      `GET ${CONFIG_REPO}/branches/main`,
      `GET ${CONFIG_REPO}/contents/.github%2Fs2i-policy.yml?ref=${CONFIG_HEAD}`,
      `GET ${CONFIG_REPO}/contents/apps%2Fhello%2Fproduction%2Fs2i-pin.yaml?ref=${CONFIG_HEAD}`,
      `POST ${CONFIG_REPO}/git/trees`,
      `POST ${CONFIG_REPO}/git/commits`,
      `PATCH ${CONFIG_REPO}/git/refs/heads%2Fmain`,
      `POST ${APP_REPO}/check-runs`,
      `POST ${APP_REPO}/deployments/71/statuses`,
    ]);

    // The image is in the registry, and the Deployment pins exactly the digest the registry serves.
    const digest = await registry.manifestDigest(repository.slice(registry.address.length + 1), SHA);
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const tree = bodyOf(github, `POST ${CONFIG_REPO}/git/trees`) as { base_tree: string; tree: Array<{ path: string; mode: string; type: string; content: string }> };
    expect(tree.base_tree).toBe(CONFIG_TREE);
    expect(tree.tree.map((entry) => [entry.path, entry.mode, entry.type])).toEqual([
      ['apps/hello/production/deployment.yaml', '100644', 'blob'],
      ['apps/hello/production/kustomization.yaml', '100644', 'blob'],
      ['apps/hello/production/service.yaml', '100644', 'blob'],
    ]);
    const deployment = parse(tree.tree[0].content) as { metadata: { namespace: string }; spec: { template: { spec: { containers: Array<{ image: string }> } } } };
    expect(deployment.metadata.namespace).toBe('demo');
    expect(deployment.spec.template.spec.containers[0].image).toBe(`${repository}@${digest}`);
    expect(tree.tree[0].content.split('\n')[0]).toBe(`# Generated by s2i-bot from Codertocat/Hello-World@${SHA} — do not edit; changes are overwritten on the next deploy.`);
    expect(bodyOf(github, `POST ${CONFIG_REPO}/git/commits`)).toEqual({
      message: `deploy(production): Codertocat/Hello-World@${SHA.slice(0, 7)} Initial commit`,
      tree: NEW_TREE,
      parents: [CONFIG_HEAD],
    });
    expect(bodyOf(github, `PATCH ${CONFIG_REPO}/git/refs/heads%2Fmain`)).toEqual({ sha: NEW_COMMIT, force: false });

    // What the user sees on the commit.
    const [buildStart, deployCheck] = github.requests.filter((request) => request.method === 'POST' && request.path === `${APP_REPO}/check-runs`).map((request) => request.body as Record<string, unknown>);
    expect(buildStart).toMatchObject({ name: 's2i/build', head_sha: SHA, status: 'in_progress', output: { title: `Building ${repository}:${SHA}` } });
    const buildEnd = bodyOf(github, `PATCH ${APP_REPO}/check-runs/11`) as { conclusion: string; output: { title: string; summary: string } };
    expect(buildEnd).toMatchObject({ status: 'completed', conclusion: 'success' });
    expect(buildEnd.output.title).toMatch(new RegExp(`^Built ${repository}:${SHA} in \\d+\\.\\d s$`));
    expect(buildEnd.output.summary).toContain(`**Image:** \`${repository}@${digest}\``);
    expect(deployCheck).toMatchObject({
      name: 's2i/deploy',
      head_sha: SHA,
      status: 'completed',
      conclusion: 'success',
      details_url: `https://github.com/Codertocat/cluster-config/commit/${NEW_COMMIT}`,
      output: { title: `Deployed to production: config commit ${NEW_COMMIT.slice(0, 7)}` },
    });
    // And GitHub's record of the deploy.
    expect(bodyOf(github, `POST ${APP_REPO}/deployments`)).toMatchObject({ ref: SHA, environment: 'production', payload: { image: `${repository}@${digest}`, rollback: false } });
    expect(github.requests.filter((request) => request.path === `${APP_REPO}/deployments/71/statuses`).map((request) => request.body)).toEqual([
      { state: 'in_progress', description: `Deploy of ${SHA.slice(0, 7)} to production` },
      { state: 'success', description: 'Deployed to production', log_url: `https://github.com/Codertocat/cluster-config/commit/${NEW_COMMIT}` },
    ]);
  }, 60_000);

  it('does nothing without .github/s2i.yml: no check run, no build', async () => {
    expectToken();
    expectConfig(undefined);

    const response = await bot.deliver('push', PUSH);
    await queue.onIdle();

    expect(response.status).toBe(200);
    expect(requestLines(github)).toEqual(['POST /app/installations/1/access_tokens', `GET ${APP_REPO}/contents/.github%2Fs2i.yml?ref=${SHA}`]);
  });

  it('does not build a branch the config maps to no environment', async () => {
    expectToken();
    expectConfig(`${configFor(repository)}branches:\n  release/*: { environment: staging }\n`);

    await bot.deliver('push', PUSH);
    await queue.onIdle();

    expect(requestLines(github)).toEqual(['POST /app/installations/1/access_tokens', `GET ${APP_REPO}/contents/.github%2Fs2i.yml?ref=${SHA}`]);
  });

  it('fails s2i/build on an invalid config, with an annotation on the offending line', async () => {
    expectToken();
    expectConfig(configFor(repository).replace('  port: 8080\n', '  port: eighty\n'));
    github.api.post(`${APP_REPO}/check-runs`).reply(201, { id: 21 });

    await bot.deliver('push', PUSH);
    await queue.onIdle();

    const check = bodyOf(github, `POST ${APP_REPO}/check-runs`) as { status: string; conclusion: string; output: { title: string; annotations: unknown[] } };
    expect(check).toMatchObject({ name: 's2i/build', status: 'completed', conclusion: 'failure' });
    expect(check.output.title).toMatch(/^Config failed: \.github\/s2i\.yml is invalid: line 6: deploy\.port: /);
    expect(check.output.annotations).toEqual([
      expect.objectContaining({ path: '.github/s2i.yml', start_line: 6, end_line: 6, annotation_level: 'failure', message: expect.stringContaining('deploy.port') }),
    ]);
  });

  it('runs a redelivered webhook (same delivery id) once', async () => {
    expectToken();
    expectConfig(undefined);

    const first = await bot.deliver('push', PUSH, { delivery: 'same-delivery' });
    const second = await bot.deliver('push', PUSH, { delivery: 'same-delivery' });
    await queue.onIdle();

    expect([first.status, second.status]).toEqual([200, 200]);
    expect(requestLines(github)).toEqual(['POST /app/installations/1/access_tokens', `GET ${APP_REPO}/contents/.github%2Fs2i.yml?ref=${SHA}`]);
  });

  const HTML_FILES: FileTree = { 'index.html': '<h1>hello</h1>\n' };

  function htmlConfig(image: string): string {
    return `builder: ${HTML_BUILDER}\nimage: ${image}\ndeploy: { name: hello, namespace: demo }\ngitops: { repo: Codertocat/cluster-config, branch: main }\n`;
  }

  /** The requests of a build that runs: config, s2i/build created, source downloaded. */
  async function expectBuild(config: string, files: FileTree): Promise<void> {
    expectToken();
    expectConfig(config);
    github.api.post(`${APP_REPO}/check-runs`).reply(201, { id: 31 });
    await mockTarball(github, { owner: 'Codertocat', repo: 'Hello-World', sha: SHA, files });
    github.api.patch(`${APP_REPO}/check-runs/31`).reply(200, { id: 31 });
  }

  /** One write attempt on the config repo up to the ref update, which answers `refStatus`. */
  function expectWriteAttempt(head: string, refStatus: number): void {
    github.api.get(`${CONFIG_REPO}/branches/main`).reply(200, { name: 'main', commit: { sha: head, commit: { tree: { sha: CONFIG_TREE } } } });
    github.api.get(`${CONFIG_REPO}/contents/.github%2Fs2i-policy.yml`).query({ ref: head }).reply(200, POLICY);
    github.api.get(`${CONFIG_REPO}/contents/apps%2Fhello%2Fproduction%2Fs2i-pin.yaml`).query({ ref: head }).reply(404, { message: 'Not Found' });
    github.api.post(`${CONFIG_REPO}/git/trees`).reply(201, { sha: NEW_TREE });
    github.api.post(`${CONFIG_REPO}/git/commits`).reply(201, { sha: NEW_COMMIT, html_url: `https://github.com/Codertocat/cluster-config/commit/${NEW_COMMIT}` });
    github.api
      .patch(`${CONFIG_REPO}/git/refs/heads%2Fmain`)
      .reply(refStatus, refStatus === 200 ? { ref: 'refs/heads/main', object: { sha: NEW_COMMIT } } : { message: 'Update is not a fast forward' });
  }

  function checkUpdate(id: number): { conclusion: string; output: { title: string; summary: string; text?: string } } {
    return bodyOf(github, `PATCH ${APP_REPO}/check-runs/${id}`) as { conclusion: string; output: { title: string; summary: string; text?: string } };
  }

  /** The s2i/deploy check: created once, concluded. */
  function deployCheck(): { conclusion: string; output: { title: string; summary: string; text?: string } } {
    const created = github.requests.filter((request) => request.method === 'POST' && request.path === `${APP_REPO}/check-runs`).map((request) => request.body as { name: string });
    const deploy = created.find((body) => body.name === 's2i/deploy');
    if (!deploy) throw new Error(`no s2i/deploy check; saw:\n${requestLines(github).join('\n')}`);
    return deploy as unknown as { conclusion: string; output: { title: string; summary: string; text?: string } };
  }

  it('fails s2i/build with the log tail when assemble fails, and does not deploy', async () => {
    const failing = { ...HTML_FILES, '.s2i/bin/assemble': { content: '#!/bin/sh\necho "compiling"\necho "error: missing semicolon" >&2\nexit 3\n', mode: 0o755 } };
    await expectBuild(htmlConfig(repository), failing);

    await bot.deliver('push', PUSH);
    await queue.onIdle();

    const build = checkUpdate(31);
    expect(build.conclusion).toBe('failure');
    expect(build.output.title).toBe('Assemble failed: assemble exited with code 3');
    expect(build.output.summary).toContain('**What to do:** read the last lines of the build log, fix the source or the build environment, and push again');
    // stdout and stderr are separate streams: their relative order is not guaranteed.
    expect(build.output.text).toContain('compiling');
    expect(build.output.text).toContain('error: missing semicolon');
    expect(requestLines(github).filter((line) => line.includes('cluster-config'))).toEqual([]);
  }, 60_000);

  it('fails s2i/build naming the registry when the registry refuses the push', async () => {
    const locked = await startRegistry({ username: 'ci', password: 'secret' });
    try {
      const image = `${locked.address}/it/hello-${uniqueTag()}`;
      images.push(`${image}:${SHA}`);
      await expectBuild(htmlConfig(image), HTML_FILES);

      await bot.deliver('push', PUSH);
      await queue.onIdle();

      const build = checkUpdate(31);
      expect(build.conclusion).toBe('failure');
      expect(build.output.title).toContain(`Push failed: registry ${locked.address} refused the anonymous push`);
      expect(build.output.summary).toContain(`**What to do:** add credentials for ${locked.address} to ${join(dockerConfig, 'config.json')}`);
      expect(await locked.manifestDigest(image.slice(locked.address.length + 1), SHA)).toBeUndefined();
    } finally {
      await locked.stop();
    }
  }, 60_000);

  it('fails s2i/deploy naming the policy file when the policy does not grant the path, and writes nothing', async () => {
    await expectBuild(htmlConfig(repository), HTML_FILES);
    expectDeploymentStart(72);
    github.api.get(`${CONFIG_REPO}/branches/main`).reply(200, { name: 'main', commit: { sha: CONFIG_HEAD, commit: { tree: { sha: CONFIG_TREE } } } });
    github.api.get(`${CONFIG_REPO}/contents/.github%2Fs2i-policy.yml`).query({ ref: CONFIG_HEAD }).reply(200, POLICY.replace('apps/hello/**', 'apps/other/**'));
    github.api.post(`${APP_REPO}/check-runs`).reply(201, { id: 32 });
    expectDeploymentEnd(72, 'failure');

    await bot.deliver('push', PUSH);
    await queue.onIdle();

    const deploy = deployCheck();
    expect(deploy.conclusion).toBe('failure');
    expect(deploy.output.title).toMatch(/^Policy failed: /);
    expect(deploy.output.summary).toContain('.github/s2i-policy.yml');
    expect(requestLines(github).filter((line) => /git\/(trees|commits|refs)/.test(line))).toEqual([]);
  }, 60_000);

  it('rebuilds the commit on the new head when the config branch moved, and succeeds', async () => {
    const movedHead = 'e'.repeat(40);
    await expectBuild(htmlConfig(repository), HTML_FILES);
    expectDeploymentStart(73);
    expectWriteAttempt(CONFIG_HEAD, 422);
    expectWriteAttempt(movedHead, 200);
    github.api.post(`${APP_REPO}/check-runs`).reply(201, { id: 32 });
    expectDeploymentEnd(73);

    await bot.deliver('push', PUSH);
    await queue.onIdle();

    const commits = github.requests.filter((request) => request.path === `${CONFIG_REPO}/git/commits`).map((request) => (request.body as { parents: string[] }).parents);
    expect(commits).toEqual([[CONFIG_HEAD], [movedHead]]);
    expect(deployCheck()).toMatchObject({ conclusion: 'success', output: { title: `Deployed to production: config commit ${NEW_COMMIT.slice(0, 7)}` } });
  }, 60_000);

  it('fails s2i/deploy when the config branch keeps moving, after a bounded number of attempts', async () => {
    await expectBuild(htmlConfig(repository), HTML_FILES);
    expectDeploymentStart(74);
    for (let attempt = 0; attempt < 10; attempt += 1) expectWriteAttempt(CONFIG_HEAD, 422);
    github.api.post(`${APP_REPO}/check-runs`).reply(201, { id: 32 });
    expectDeploymentEnd(74, 'failure');

    await bot.deliver('push', PUSH);
    await queue.onIdle();

    const deploy = deployCheck();
    expect(deploy.conclusion).toBe('failure');
    expect(deploy.output.title).toMatch(/^Config repo failed: /);
    expect(deploy.output.summary).toContain('10 attempts');
    expect(requestLines(github).filter((line) => line.startsWith('PATCH') && line.includes('git/refs'))).toHaveLength(10);
  }, 60_000);

  it('builds and deploys a commit once when two deliveries push it for the same environment', async () => {
    await expectBuild(htmlConfig(repository), HTML_FILES);
    expectDeploymentStart(75);
    expectWriteAttempt(CONFIG_HEAD, 200);
    github.api.post(`${APP_REPO}/check-runs`).reply(201, { id: 32 });
    expectDeploymentEnd(75);
    expectConfig(htmlConfig(repository));

    const responses = [await bot.deliver('push', PUSH, { delivery: 'first' }), await bot.deliver('push', PUSH, { delivery: 'second' })];
    await queue.onIdle();

    expect(responses.map((response) => response.status)).toEqual([200, 200]);
    expect(requestLines(github).filter((line) => line.includes('/contents/.github%2Fs2i.yml'))).toHaveLength(2);
    expect(requestLines(github).filter((line) => line === `POST ${APP_REPO}/check-runs`)).toHaveLength(2);
    expect(requestLines(github).filter((line) => line.endsWith('/git/commits'))).toHaveLength(1);
  }, 60_000);

  it('builds incrementally from the image the environment runs, as its Deployment in the config repo pins it', async () => {
    // A builder whose assemble keeps a history: restored from /tmp/artifacts, plus this build's line.
    const builder = `s2i-bot-test/app-incremental:${uniqueTag()}`;
    await buildTestBuilder(
      builder,
      {
        assemble: '#!/bin/sh\nset -e\n[ -f /tmp/artifacts/history.txt ] && cp /tmp/artifacts/history.txt /opt/app/history.txt\ncat /tmp/src/line.txt >> /opt/app/history.txt\n',
        'save-artifacts': '#!/bin/sh\ncd /opt/app && tar cf - history.txt\n',
        run: '#!/bin/sh\nexec cat /opt/app/history.txt\n',
      },
      ['LABEL io.openshift.s2i.scripts-url=image:///usr/libexec/s2i', 'RUN mkdir -p /opt/app && chown 1001:0 /opt/app', 'USER 1001'],
    );
    images.push(builder, `${repository}:previous`);
    await buildImage(engine, testSettings(), { builder, repository, tag: 'previous', source: () => tarOf({ 'line.txt': 'deployed before\n' }) });
    const previous = await pushImage(engine, repository, 'previous', { DOCKER_CONFIG: dockerConfig });
    const deployed = `apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: hello, namespace: demo }\nspec:\n  template:\n    spec:\n      containers:\n        - { name: hello, image: "${previous.pinned}" }\n`;

    expectToken();
    expectConfig(`builder: ${builder}\nimage: ${repository}\nincremental: true\ndeploy: { name: hello, namespace: demo }\ngitops: { repo: Codertocat/cluster-config, branch: main }\n`);
    github.api.post(`${APP_REPO}/check-runs`).reply(201, { id: 31 });
    github.api.get(`${CONFIG_REPO}/contents/apps%2Fhello%2Fproduction%2Fdeployment.yaml`).query({ ref: 'main' }).reply(200, deployed);
    await mockTarball(github, { owner: 'Codertocat', repo: 'Hello-World', sha: SHA, files: { 'line.txt': 'this push\n' } });
    github.api.patch(`${APP_REPO}/check-runs/31`).reply(200, { id: 31 });
    expectDeploymentStart(76);
    expectWriteAttempt(CONFIG_HEAD, 200);
    github.api.post(`${APP_REPO}/check-runs`).reply(201, { id: 32 });
    expectDeploymentEnd(76);

    await bot.deliver('push', PUSH);
    await queue.onIdle();

    expect(checkUpdate(31)).toMatchObject({ conclusion: 'success', output: { summary: expect.stringContaining('**Incremental:** yes') } });
    expect((await runInImage(`${repository}:${SHA}`, [])).output).toBe('deployed before\nthis push\n');
  }, 60_000);

  it('rejects a delivery with a wrong or missing signature and calls no API', async () => {
    const wrong = await bot.deliver('push', PUSH, { signature: `sha256=${'0'.repeat(64)}` });
    const missing = await bot.deliver('push', PUSH, { signature: null });
    await queue.onIdle();

    expect([wrong.status, missing.status]).toEqual([400, 400]);
    expect(queue.size).toBe(0);
    expect(github.requests).toEqual([]);
  });
});
