import { requestLines } from '../support/github-api.js';
import { APP, bodiesOf, bodyOf, digestOf, examplePayload, IMAGE, sha, useBotFixture } from '../support/bot-fixture.js';

const HEAD = sha('a');

/** "Re-run" (or a button, with `identifier`) on the bot's s2i/build check of HEAD on `branch`, by Codertocat. */
function checkRun(branch: string, identifier?: string, pullRequest?: number): unknown {
  return examplePayload('check_run', identifier ? 'requested_action' : 'rerequested', (payload) => {
    payload.check_run.name = 's2i/build';
    payload.check_run.head_sha = HEAD;
    payload.check_run.check_suite.head_branch = branch;
    payload.check_run.pull_requests = pullRequest ? [{ number: pullRequest }] : [];
    payload.sender = { ...payload.sender, login: 'Codertocat', type: 'User' };
    if (identifier) payload.requested_action = { identifier };
  });
}

describe('pipeline/check-request-run: Re-run and the check buttons through the app', () => {
  const t = useBotFixture();

  it('Re-run by a writer builds again, even though the registry has the image, and deploys where the branch does', async () => {
    t.fixture.engine.registry.set(`${IMAGE}:${HEAD}`, digestOf('1'));
    t.flows.token();
    t.flows.role('Codertocat', 'write');
    t.flows.branch(APP, 'main', HEAD);
    t.flows.config(HEAD);
    await t.flows.build(HEAD);
    t.flows.deploy({ head: sha('c'), commit: sha('d'), deployment: 40 });

    await t.fixture.deliver('check_run', checkRun('main'));

    expect(t.fixture.engine.calls).not.toContain(`registryDigest ${IMAGE}:${HEAD}`);
    expect(t.fixture.engine.calls).toContain(`pushImage ${IMAGE}:${HEAD}`);
    expect(bodiesOf(t.github, `POST ${APP}/check-runs`).map((body) => body.name)).toEqual(['s2i/build', 's2i/deploy']);
    expect(bodyOf(t.github, `POST ${APP}/deployments`)).toMatchObject({ ref: HEAD, environment: 'production' });
  });

  it('Re-run of a commit its branch has moved past builds it but never moves the environment back', async () => {
    t.flows.token();
    t.flows.role('Codertocat', 'admin');
    t.flows.branch(APP, 'main', sha('b'));
    t.flows.config(HEAD);
    await t.flows.build(HEAD);

    await t.fixture.deliver('check_run', checkRun('main'));

    expect(requestLines(t.github).some((line) => line.includes('deployments') || line.includes('cluster-config'))).toBe(false);
    expect(bodiesOf(t.github, `POST ${APP}/check-runs`).map((body) => body.name)).toEqual(['s2i/build']);
  });

  it('"Rebuild (no cache)" builds again without asking the registry', async () => {
    t.flows.token();
    t.flows.role('Codertocat', 'maintain');
    t.flows.branch(APP, 'feature', HEAD);
    t.flows.config(HEAD);
    await t.flows.build(HEAD);

    await t.fixture.deliver('check_run', checkRun('feature', 'rebuild-no-cache'));

    expect(t.fixture.engine.calls[0]).toBe(`inspectImage registry.example.com/s2i/html:1`);
    expect(t.fixture.engine.calls).toContain(`pushImage ${IMAGE}:${HEAD}`);
  });

  it('"Deploy to qa" deploys the commit\'s existing image to qa', async () => {
    t.fixture.engine.registry.set(`${IMAGE}:${HEAD}`, digestOf('1'));
    t.flows.token();
    t.flows.role('Codertocat', 'write');
    t.flows.branch(APP, 'feature', HEAD);
    t.flows.config(HEAD);
    t.flows.checkCreated();
    t.flows.deploy({ head: sha('c'), commit: sha('d'), deployment: 41, environment: 'qa' });

    await t.fixture.deliver('check_run', checkRun('feature', 'deploy:qa'));

    expect(bodiesOf(t.github, `POST ${APP}/check-runs`).map((body) => [body.name, body.conclusion, body.output.title])).toEqual([
      ['s2i/build', 'success', `Already built: ${IMAGE}:${HEAD}`],
      ['s2i/deploy', 'success', `Deployed to qa: config commit ddddddd`],
    ]);
    expect(bodyOf(t.github, 'POST /repos/Codertocat/cluster-config/git/trees').tree.map((entry: { path: string }) => entry.path)).toEqual([
      'apps/hello/qa/deployment.yaml',
      'apps/hello/qa/kustomization.yaml',
      'apps/hello/qa/service.yaml',
    ]);
    expect(bodyOf(t.github, `POST ${APP}/deployments`)).toMatchObject({ ref: HEAD, environment: 'qa', production_environment: false });
  });

  it('refuses a reader politely on the pull request, and runs nothing', async () => {
    t.flows.token();
    t.flows.role('Codertocat', 'read');
    t.github.api.post(`${APP}/issues/7/comments`).reply(201, { id: 1 });

    await t.fixture.deliver('check_run', checkRun('feature', 'approve-build', 7));

    expect(bodyOf(t.github, `POST ${APP}/issues/7/comments`)).toEqual({
      body: "🚫 @Codertocat, running s2i-bot's checks again needs write access to Codertocat/Hello-World (you have read). Nothing was run.",
    });
    expect(t.fixture.engine.calls).toEqual([]);
  });

  it('ignores "Re-run all" requested by a bot and checks that are not the bot\'s', async () => {
    const suite = examplePayload('check_suite', 'rerequested');
    const other = examplePayload('check_run', 'rerequested', (payload) => (payload.check_run.name = 'lint'));

    await t.fixture.deliver('check_suite', suite);
    await t.fixture.deliver('check_run', other);

    expect(requestLines(t.github)).toEqual([]);
  });
});
