/* eslint-disable @typescript-eslint/no-explicit-any -- webhook payloads and request bodies are free-form JSON, read by path in assertions */
import { parse } from 'yaml';
import { HELP_TEXT } from '../../src/commands/help-text.js';
import { requestLines } from '../support/github-api.js';
import { APP, bodiesOf, bodyOf, CONFIG, digestOf, examplePayload, IMAGE, pushPayload, sha, useBotFixture } from '../support/bot-fixture.js';

const COMMENT_ID = 492700400;
const HEAD = sha('3');

/** A new comment on issue #1 (or pull request #1) by Codertocat. */
function comment(body: string, change: (payload: Record<string, any>) => void = () => {}): unknown {
  return examplePayload('issue_comment', 'created', (payload) => {
    payload.comment.body = body;
    change(payload);
  });
}

describe('commands/handle-comment: /s2i commands through the app', () => {
  const t = useBotFixture();

  it('answers /s2i help to anyone with 👀 and one comment holding the help', async () => {
    t.flows.token();
    t.flows.reaction(COMMENT_ID);
    t.flows.replyCreated(1);

    await t.fixture.deliver('issue_comment', comment('Hi bot!\n/s2i help'));

    expect(requestLines(t.github)).toEqual(['POST /app/installations/1/access_tokens', `POST ${APP}/issues/comments/${COMMENT_ID}/reactions`, `POST ${APP}/issues/1/comments`]);
    expect(bodyOf(t.github, `POST ${APP}/issues/1/comments`)).toEqual({ body: HELP_TEXT });
  });

  it('answers a line that is not a command with what was wrong and the help, and runs nothing', async () => {
    t.flows.token();
    t.flows.reaction(COMMENT_ID);
    t.flows.replyCreated(1);

    await t.fixture.deliver('issue_comment', comment('/s2i deploy Production'));

    expect(bodyOf(t.github, `POST ${APP}/issues/1/comments`).body).toBe(
      `⚠️ \`/s2i deploy Production\`: "Production" is not an environment name: at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit.\n\n${HELP_TEXT}`,
    );
    expect(t.fixture.engine.calls).toEqual([]);
  });

  const ignored: Array<[string, unknown]> = [
    ['a comment by a bot', comment('/s2i rebuild', (payload) => Object.assign(payload.comment.user, { login: 's2i-bot[bot]', type: 'Bot' }))],
    ['a comment made through a GitHub App', comment('/s2i rebuild', (payload) => (payload.comment.performed_via_github_app = { id: 1, slug: 's2i-bot' }))],
    ['an edited comment', comment('/s2i rebuild', (payload) => (payload.action = 'edited'))],
    ['a quoted command', comment('> /s2i rebuild\n\nI would not do that')],
    ['a command in a code block', comment('```\n/s2i rebuild\n```')],
  ];
  it.each(ignored)('ignores %s: no reaction, no answer, no request', async (_name, payload) => {
    const event = (payload as { action: string }).action === 'edited' ? 'issue_comment' : 'issue_comment';

    await t.fixture.deliver(event, payload);

    expect(requestLines(t.github)).toEqual([]);
  });

  describe('permission matrix: commands that build or deploy need write, maintain or admin', () => {
    /**
     * What each command does when allowed, on an issue whose default branch head has no config. A build ends at
     * the missing config before it would start (when access is asked again); a rollback or an unpin asks again
     * first.
     */
    const allowedRun: Record<string, { body: string; expect: () => void; reply: string; asksAgain?: boolean }> = {
      build: { body: '/s2i build', expect: () => t.flows.config(HEAD, null), reply: '❌ `/s2i build` on main (3333333): there is no `.github/s2i.yml` at this commit, so there is nothing to build.' },
      rebuild: { body: '/s2i rebuild --no-cache', expect: () => t.flows.config(HEAD, null), reply: '❌ `/s2i rebuild --no-cache` on main (3333333): there is no `.github/s2i.yml` at this commit, so there is nothing to build.' },
      deploy: { body: '/s2i deploy qa', expect: () => t.flows.config(HEAD, null), reply: '❌ `/s2i deploy qa` on main (3333333): there is no `.github/s2i.yml` at this commit, so there is nothing to build.' },
      rollback: {
        body: '/s2i rollback production',
        expect: () => {
          t.flows.config(HEAD, null);
          t.github.api.get(`${APP}/deployments`).query({ environment: 'production', per_page: 10 }).reply(200, []);
        },
        asksAgain: true,
        reply:
          '❌ `/s2i rollback production` on main (3333333): no earlier successful deploy to production was found among the last 10 GitHub Deployments.\n\n**What to do:** name the commit to go back to: `/s2i rollback production <sha>`.',
      },
      unpin: {
        body: '/s2i unpin production',
        expect: () => t.flows.config(HEAD, null),
        asksAgain: true,
        reply: '❌ `/s2i unpin production` on main (3333333): `.github/s2i.yml` at 3333333 is missing.\n\n**What to do:** fix the config first; the pin lives where it says.',
      },
    };
    const cases = ['admin', 'maintain', 'write', 'triage', 'read', 'none'].flatMap((role) => Object.keys(allowedRun).map((verb) => [role, verb] as const));

    it.each(cases)('%s × %s', async (role, verb) => {
      const run = allowedRun[verb];
      t.flows.token();
      t.flows.reaction(COMMENT_ID);
      t.flows.role('Codertocat', role);
      const allowed = ['admin', 'maintain', 'write'].includes(role);
      if (allowed) {
        t.flows.branch(APP, 'main', HEAD);
        const reply = t.flows.replyCreated(1);
        if (run.asksAgain) t.flows.role('Codertocat', role);
        t.flows.replyEdited(reply, run.asksAgain ? 2 : 1);
        run.expect();
      } else {
        t.flows.replyCreated(1);
      }

      await t.fixture.deliver('issue_comment', comment(run.body));

      const replies = [bodyOf(t.github, `POST ${APP}/issues/1/comments`).body, ...bodiesOf(t.github, `PATCH ${APP}/issues/comments/501`).map((body) => body.body)];
      if (allowed) {
        const running = run.asksAgain ? [`🔨 \`${run.body}\` on main (3333333): running.`] : [];
        expect(replies).toEqual([`⏳ \`${run.body}\` on main (3333333): queued.`, ...running, run.reply]);
      } else {
        expect(replies).toEqual([
          `🚫 @Codertocat, \`${run.body}\` needs write access to Codertocat/Hello-World (write, maintain or admin; you have ${role === 'none' ? 'no access' : role}). Nothing was run. Ask a maintainer to run it for you.`,
        ]);
      }
      expect(t.fixture.engine.calls).toEqual([]);
    });
  });

  it('asks again when the build gets its slot, and runs nothing when write access was taken away meanwhile', async () => {
    t.flows.token();
    t.flows.reaction(COMMENT_ID);
    t.flows.role('Codertocat', 'write');
    t.flows.branch(APP, 'main', HEAD);
    const reply = t.flows.replyCreated(1);
    t.flows.config(HEAD);
    t.flows.role('Codertocat', 'read');
    t.flows.replyEdited(reply);

    await t.fixture.deliver('issue_comment', comment('/s2i rebuild'));

    expect(bodiesOf(t.github, `PATCH ${APP}/issues/comments/${reply}`)).toEqual([
      { body: '🚫 @Codertocat, `/s2i rebuild` needs write access to Codertocat/Hello-World (write, maintain or admin; you have read). Nothing was run. Ask a maintainer to run it for you.' },
    ]);
    expect(t.fixture.engine.calls).toEqual([]);
  });

  it('answers /s2i status to anyone: the config, the checks of the head commit and each environment with its pin', async () => {
    t.flows.token();
    t.flows.reaction(COMMENT_ID);
    t.flows.pullRequest(1, HEAD);
    t.flows.config(HEAD);
    t.github.api.get(`${APP}/commits/${HEAD}/check-runs`).query({ per_page: 50 }).reply(200, {
      total_count: 3,
      check_runs: [
        { id: 7, name: 's2i/build', status: 'completed', conclusion: 'success', output: { title: 'Built it in 1.0 s' }, html_url: 'https://github.com/Codertocat/Hello-World/runs/7' },
        { id: 5, name: 's2i/build', status: 'completed', conclusion: 'failure', output: { title: 'an older run' }, html_url: 'https://github.com/Codertocat/Hello-World/runs/5' },
        { id: 6, name: 'lint', status: 'completed', conclusion: 'success', output: { title: 'not ours' }, html_url: 'https://github.com/Codertocat/Hello-World/runs/6' },
      ],
    });
    const deployed = `kind: Deployment\nmetadata:\n  annotations:\n    s2i-bot.io/source-commit: "${sha('2')}"\nspec:\n  template:\n    spec:\n      containers:\n        - name: hello\n          image: ${IMAGE}@${digestOf('2')}\n`;
    t.github.api.get(`${CONFIG}/contents/apps%2Fhello%2Fproduction%2Fdeployment.yaml`).query({ ref: 'main' }).reply(200, deployed);
    t.github.api.get(`${CONFIG}/contents/apps%2Fhello%2Fproduction%2Fs2i-pin.yaml`).query({ ref: 'main' }).reply(200, `sha: "${sha('2')}"\nby: ada\nreason: rollback\n`);
    t.github.api.get(`${CONFIG}/contents/apps%2Fhello%2Fqa%2Fdeployment.yaml`).query({ ref: 'main' }).reply(404, { message: 'Not Found' });
    t.github.api.get(`${CONFIG}/contents/apps%2Fhello%2Fqa%2Fs2i-pin.yaml`).query({ ref: 'main' }).reply(404, { message: 'Not Found' });
    t.flows.replyCreated(1);

    await t.fixture.deliver('issue_comment', comment('/s2i status', (payload) => (payload.issue.pull_request = { url: 'https://api.github.com/repos/Codertocat/Hello-World/pulls/1' })));

    expect(bodyOf(t.github, `POST ${APP}/issues/1/comments`).body).toBe(
      [
        '**s2i status** of pull request #1 (3333333)',
        '',
        'Pull request: its head commit is built (`s2i/build`) but deployed only by `/s2i deploy <environment>`.',
        '',
        '| Check | Result |',
        '| --- | --- |',
        '| [s2i/build](https://github.com/Codertocat/Hello-World/runs/7) | success: Built it in 1.0 s |',
        '',
        'Environments (in Codertocat/cluster-config@main):',
        '',
        '| Environment | Runs | Pin |',
        '| --- | --- | --- |',
        `| production | 2222222 (\`${IMAGE}@${digestOf('2')}\`) | 📌 pinned to 2222222 by @ada (rollback); \`/s2i unpin production\` releases it |`,
        '| qa | not deployed yet | – |',
      ].join('\n'),
    );
  });

  it('rolls back to the previous successful deploy and pins, holds the next push back, and deploys again after unpin', async () => {
    const current = `kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: hello\n          image: ${IMAGE}@${digestOf('2')}\n`;
    t.fixture.engine.registry.set(`${IMAGE}@${digestOf('1')}`, digestOf('1'));
    // 1. /s2i rollback production on an issue: the default branch's config names the config repo.
    t.flows.token();
    t.flows.reaction(COMMENT_ID);
    t.flows.role('Codertocat', 'maintain');
    t.flows.branch(APP, 'main', sha('2'));
    const reply = t.flows.replyCreated(1);
    t.flows.role('Codertocat', 'maintain');
    t.flows.replyEdited(reply, 2);
    t.flows.config(sha('2'));
    t.github.api.get(`${CONFIG}/contents/apps%2Fhello%2Fproduction%2Fdeployment.yaml`).query({ ref: 'main' }).reply(200, current);
    t.github.api.get(`${APP}/deployments`).query({ environment: 'production', per_page: 10 }).reply(200, [
      { id: 32, sha: sha('2'), payload: { image: `${IMAGE}@${digestOf('2')}`, rollback: false } },
      { id: 31, sha: sha('1'), payload: { image: `${IMAGE}@${digestOf('1')}`, rollback: false } },
    ]);
    t.github.api.get(`${APP}/deployments/31/statuses`).query({ per_page: 1 }).reply(200, [{ id: 1, state: 'success' }]);
    t.flows.config(sha('1'));
    t.flows.deploy({ head: sha('c'), commit: sha('d'), deployment: 33, pin: false });

    await t.fixture.deliver('issue_comment', comment('/s2i rollback production'));

    const tree = bodyOf(t.github, `POST ${CONFIG}/git/trees`);
    expect(tree.tree.map((entry: { path: string }) => entry.path)).toEqual([
      'apps/hello/production/deployment.yaml',
      'apps/hello/production/kustomization.yaml',
      'apps/hello/production/service.yaml',
      'apps/hello/production/s2i-pin.yaml',
    ]);
    expect(parse(tree.tree[0].content).spec.template.spec.containers[0].image).toBe(`${IMAGE}@${digestOf('1')}`);
    expect(parse(tree.tree[3].content)).toMatchObject({ environment: 'production', repo: 'Codertocat/Hello-World', sha: sha('1'), image: `${IMAGE}@${digestOf('1')}`, by: 'Codertocat' });
    expect(bodyOf(t.github, `POST ${CONFIG}/git/commits`).message).toBe('deploy(production): Codertocat/Hello-World@1111111');
    expect(bodyOf(t.github, `POST ${APP}/deployments`)).toEqual({
      ref: sha('1'),
      environment: 'production',
      description: 'Rollback of 1111111 to production',
      auto_merge: false,
      required_contexts: [],
      payload: { image: `${IMAGE}@${digestOf('1')}`, rollback: true },
      production_environment: true,
    });
    expect(bodiesOf(t.github, `POST ${APP}/deployments/33/statuses`)).toEqual([
      { state: 'in_progress', description: 'Rollback of 1111111 to production' },
      { state: 'success', description: 'Deployed to production', log_url: `https://github.com/Codertocat/cluster-config/commit/${sha('d')}` },
    ]);
    expect(bodyOf(t.github, `POST ${APP}/check-runs`)).toMatchObject({ name: 's2i/deploy', head_sha: sha('1'), conclusion: 'success' });
    expect(bodyOf(t.github, `PATCH ${APP}/issues/comments/${reply}`, 1).body).toBe(
      [
        `✅ \`/s2i rollback production\` on main (2222222): deployed to production: config commit [ddddddd](https://github.com/Codertocat/cluster-config/commit/${sha('d')}).`,
        '- [s2i/deploy](https://github.com/Codertocat/Hello-World/runs/101): success — Deployed to production: config commit ddddddd',
      ].join('\n'),
    );
    expect(t.fixture.engine.calls).toEqual([`registryDigest ${IMAGE}@${digestOf('1')}`]);
    t.nextExchange();

    // 2. A push to main builds, but the pin holds the deploy back; the bot knows the pin from its own commit.
    t.flows.config(sha('4'));
    await t.flows.build(sha('4'));
    t.flows.deploy({ head: sha('d'), commit: sha('e'), deployment: 34, reads: false, heldBack: true });

    await t.fixture.deliver('push', pushPayload(sha('4')));

    expect(requestLines(t.github).filter((line) => line.includes('git/'))).toEqual([]);
    const heldBack = bodiesOf(t.github, `POST ${APP}/check-runs`)[1];
    expect(heldBack).toMatchObject({ name: 's2i/deploy', head_sha: sha('4'), status: 'completed', conclusion: 'neutral', output: { title: 'Held back: production is pinned to 1111111 by @Codertocat (rollback by /s2i rollback production)' } });
    expect(bodiesOf(t.github, `POST ${APP}/deployments/34/statuses`).at(-1)).toEqual({ state: 'failure', description: 'Held back: production is pinned to 1111111 by @Codertocat (rollback by /s2i rollback production)' });
    t.nextExchange();

    // 3. /s2i unpin production deletes the pin in one commit; the policy and the pin are known at the head.
    t.flows.reaction(COMMENT_ID + 1);
    t.flows.role('Codertocat', 'write');
    t.flows.branch(APP, 'main', sha('4'));
    const unpinReply = t.flows.replyCreated(1);
    t.flows.role('Codertocat', 'write');
    t.flows.replyEdited(unpinReply, 2);
    t.flows.config(sha('4'));
    t.flows.branch(CONFIG, 'main', sha('d'));
    t.github.api.post(`${CONFIG}/git/trees`).reply(201, { sha: sha('9') });
    t.github.api.post(`${CONFIG}/git/commits`).reply(201, { sha: sha('f'), html_url: `https://github.com/Codertocat/cluster-config/commit/${sha('f')}` });
    t.github.api.patch(`${CONFIG}/git/refs/heads%2Fmain`).reply(200, { ref: 'refs/heads/main', object: { sha: sha('f') } });

    await t.fixture.deliver('issue_comment', comment('/s2i unpin production', (payload) => (payload.comment.id = COMMENT_ID + 1)));

    expect(bodyOf(t.github, `POST ${CONFIG}/git/trees`).tree).toEqual([{ path: 'apps/hello/production/s2i-pin.yaml', mode: '100644', type: 'blob', sha: null }]);
    expect(bodyOf(t.github, `POST ${CONFIG}/git/commits`).message).toBe('unpin(production): Codertocat/Hello-World, by @Codertocat');
    expect(bodyOf(t.github, `PATCH ${APP}/issues/comments/${unpinReply}`, 1).body).toBe(
      `✅ \`/s2i unpin production\`: production is no longer pinned: config commit [fffffff](https://github.com/Codertocat/cluster-config/commit/${sha('f')}). The next push to its branch deploys there.`,
    );
    t.nextExchange();

    // 4. The next push deploys again.
    t.flows.config(sha('5'));
    await t.flows.build(sha('5'));
    t.flows.deploy({ head: sha('f'), commit: sha('a'), deployment: 35, reads: false });

    await t.fixture.deliver('push', pushPayload(sha('5')));

    expect(bodiesOf(t.github, `POST ${APP}/check-runs`)[1]).toMatchObject({ name: 's2i/deploy', conclusion: 'success' });
    expect(bodiesOf(t.github, `POST ${APP}/deployments/35/statuses`).map((body) => body.state)).toEqual(['in_progress', 'success']);
  });
});
