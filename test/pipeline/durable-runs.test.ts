import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { shutDown } from '../../src/queue/shut-down.js';
import { INTERRUPTED_TITLE } from '../../src/store/recover-runs.js';
import { RunStore } from '../../src/store/run-store.js';
import { mockTarball } from '../support/github-tarball.js';
import { assertGitHubDone, mockGitHub, testOctokit, type GitHubMock } from '../support/github-api.js';
import { APP, bodiesOf, bodyOf, CONFIG_TEXT, GitHubFlows, pushPayload, sha, startFixture, type BotFixture } from '../support/bot-fixture.js';

const RELEASES = CONFIG_TEXT.replace('  main: { environment: production }', '  main: { environment: production }\n  release/*: { environment: production }');

describe('pipeline: durable runs (supersede, order of deploys, restart, shutdown)', () => {
  let github: GitHubMock;
  let flows: GitHubFlows;
  let fixture: BotFixture | undefined;
  let store: RunStore;

  beforeEach(() => {
    github = mockGitHub();
    flows = new GitHubFlows(github);
    store = RunStore.open({ path: ':memory:' });
  });

  afterEach(async () => {
    await fixture?.stop();
    fixture = undefined;
    assertGitHubDone(github);
  });

  it('cancels the running build of an older commit when a newer one is pushed to the branch, and deploys the newer', async () => {
    fixture = await startFixture({ store });
    const held = fixture.engine.hold();
    flows.token();
    flows.config(sha('a'));
    flows.checkCreated();
    const older = await mockTarballFor(flows, sha('a'));
    flows.checkUpdated(101);
    flows.config(sha('b'));
    await flows.build(sha('b'));
    flows.deploy({ head: sha('c'), commit: sha('d'), deployment: 50 });

    const first = fixture.bot.deliver('push', pushPayload(sha('a')));
    await held.started;
    await fixture.deliver('push', pushPayload(sha('b')));
    await first;

    expect(older.isDone()).toBe(true);
    expect(bodyOf(github, `PATCH ${APP}/check-runs/101`)).toMatchObject({
      status: 'completed',
      conclusion: 'cancelled',
      output: { title: 'Build cancelled', summary: 'Superseded by the newer commit bbbbbbb of main' },
    });
    expect(bodyOf(github, `POST ${APP}/deployments`)).toMatchObject({ ref: sha('b'), environment: 'production' });
    expect(fixture.engine.calls.filter((call) => call.startsWith('pushImage'))).toEqual([`pushImage registry.example.com/acme/hello:${sha('b')}`]);
    expect(store.latestFor('Codertocat/Hello-World', 'production')).toMatchObject({ sha: sha('b'), state: 'done' });
    expect(store.inFlight()).toEqual([]);
  });

  it('never moves an environment back: an older build that finishes after a newer deploy is not deployed', async () => {
    fixture = await startFixture({ store }, 2);
    const held = fixture.engine.hold();
    flows.token();
    flows.config(sha('a'), RELEASES);
    flows.checkCreated();
    await mockTarballFor(flows, sha('a'));
    flows.checkUpdated(101);
    flows.config(sha('b'), RELEASES);
    await flows.build(sha('b'));
    flows.deploy({ head: sha('c'), commit: sha('d'), deployment: 51 });
    // The older run gets to its deploy after the newer one committed: the bot knows that head, so reads nothing.
    github.api.post(`${APP}/deployments`).reply(201, { id: 52 });
    github.api.post(`${APP}/deployments/52/statuses`, (body) => body.state === 'in_progress').reply(201, { id: 1 });
    flows.branch('/repos/Codertocat/cluster-config', 'main', sha('d'));
    flows.checkCreated();
    github.api.post(`${APP}/deployments/52/statuses`, (body) => body.state === 'failure').reply(201, { id: 2 });

    const first = fixture.bot.deliver('push', pushPayload(sha('a'), 'release/1'));
    await held.started;
    await fixture.bot.deliver('push', pushPayload(sha('b'), 'release/2'));
    while (!store.latestFor('Codertocat/Hello-World', 'production')?.deployedAt) await new Promise((resolve) => setTimeout(resolve, 10));
    held.release();
    await first;
    await fixture.queue.onIdle();

    const deployChecks = bodiesOf(github, `POST ${APP}/check-runs`).filter((body) => body.name === 's2i/deploy');
    expect(deployChecks.map((body) => [body.head_sha, body.conclusion, body.output.title])).toEqual([
      [sha('b'), 'success', 'Deployed to production: config commit ddddddd'],
      [sha('a'), 'cancelled', 'Not deployed: production already runs the newer commit bbbbbbb'],
    ]);
    expect(bodiesOf(github, 'POST /repos/Codertocat/cluster-config/git/commits')).toHaveLength(1);
    expect(store.lastDeployed('Codertocat/Hello-World', 'production')?.sha).toBe(sha('b'));
  });

  it('after a restart, concludes the checks of the runs the dead process left in progress', async () => {
    const dir = await mkdtemp(join(tmpdir(), 's2i-bot-store-'));
    try {
      const before = RunStore.open({ path: join(dir, 's2i-bot.db') });
      const claim = before.claimRun({ repo: 'Codertocat/Hello-World', sha: sha('a'), environment: 'production', kind: 'push', branch: 'main', installationId: 1 });
      if (!claim.claimed) throw new Error('the run was not claimed');
      before.advance(claim.run.id, 'building', { buildCheckRunId: 77 });
      before.close();
      flows.token();
      flows.checkUpdated(77);

      const after = RunStore.open({ path: join(dir, 's2i-bot.db') });
      fixture = await startFixture({ store: after, recoverOnStart: true });
      await fixture.queue.onIdle();

      expect(bodyOf(github, `PATCH ${APP}/check-runs/77`)).toMatchObject({
        status: 'completed',
        conclusion: 'failure',
        output: { title: INTERRUPTED_TITLE, summary: expect.stringContaining('Comment `/s2i rebuild`') },
      });
      expect(after.get(claim.run.id)).toMatchObject({ state: 'failed', error: `${INTERRUPTED_TITLE}: the bot restarted` });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('on shutdown stops taking webhooks, cancels a build that outlives the grace period and the runs waiting for a slot', async () => {
    fixture = await startFixture({ store });
    const held = fixture.engine.hold();
    flows.token();
    flows.config(sha('a'));
    flows.checkCreated();
    await mockTarballFor(flows, sha('a'));
    flows.checkUpdated(101);
    flows.config(sha('e'), CONFIG_TEXT.replace('  main: { environment: production }', '  main: { environment: production }\n  other: { environment: staging }'));
    flows.checkCreated();
    const stopped: string[] = [];

    void fixture.bot.deliver('push', pushPayload(sha('a')));
    await held.started;
    await fixture.bot.deliver('push', pushPayload(sha('e'), 'other'));
    while (!store.inFlight().some((run) => run.sha === sha('e'))) await new Promise((resolve) => setTimeout(resolve, 10));
    await shutDown({
      store,
      engine: fixture.engine,
      queue: fixture.queue,
      active: fixture.active,
      graceMs: 50,
      stopServer: async () => void stopped.push('server'),
      octokitFor: async () => testOctokit(),
      log: pino({ level: 'silent' }),
    });

    expect(stopped).toEqual(['server']);
    const checks = [...bodiesOf(github, `POST ${APP}/check-runs`), ...bodiesOf(github, `PATCH ${APP}/check-runs/101`)];
    expect(checks.map((body) => [body.head_sha ?? sha('a'), body.conclusion ?? body.status, body.output.summary])).toEqual([
      [sha('a'), 'in_progress', expect.any(String)],
      [sha('e'), 'cancelled', 'The bot is shutting down: comment `/s2i rebuild` or press Re-run to run it again'],
      [sha('a'), 'cancelled', 'The bot is shutting down: comment `/s2i rebuild` or press Re-run to run it again'],
    ]);
    expect(fixture.engine.calls).not.toContain('pushImage');
  });
});

function mockTarballFor(flows: GitHubFlows, at: string): ReturnType<typeof mockTarball> {
  return mockTarball(flows.github, { owner: 'Codertocat', repo: 'Hello-World', sha: at, files: { 'index.html': '<p>hello</p>\n' } });
}
