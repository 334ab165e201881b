import { requestLines } from '../support/github-api.js';
import { APP, bodiesOf, bodyOf, CONFIG_TEXT, examplePayload, sha, useBotFixture } from '../support/bot-fixture.js';

/** A pull request event for head `head` on branch `ref`, from this repo or from a fork. */
function pullRequest(action: 'opened' | 'synchronize', head: string, options: { fork?: boolean; ref?: string } = {}): unknown {
  return examplePayload('pull_request', action, (payload) => {
    payload.number = 2;
    payload.pull_request.head.sha = head;
    payload.pull_request.head.ref = options.ref ?? 'changes';
    payload.pull_request.head.repo = { ...payload.pull_request.head.repo, full_name: options.fork ? 'octocat/Hello-World' : 'Codertocat/Hello-World' };
    payload.pull_request.user = { ...payload.pull_request.user, login: options.fork ? 'octocat' : 'Codertocat' };
    payload.pull_request.html_url = 'https://github.com/Codertocat/Hello-World/pull/2';
  });
}

function comment(body: string, id: number): unknown {
  return examplePayload('issue_comment', 'created', (payload) => {
    payload.issue.number = 2;
    payload.issue.pull_request = { url: 'https://api.github.com/repos/Codertocat/Hello-World/pulls/2' };
    payload.comment.body = body;
    payload.comment.id = id;
  });
}

describe('pipeline/pull-request-run: pull requests through the app', () => {
  const t = useBotFixture();

  it('builds the head commit of a pull request from this repo, and deploys nothing', async () => {
    t.flows.token();
    t.flows.config(sha('a'));
    await t.flows.build(sha('a'));

    await t.fixture.deliver('pull_request', pullRequest('opened', sha('a')));

    expect(requestLines(t.github).filter((line) => !line.includes('access_tokens'))).toEqual([
      `GET ${APP}/contents/.github%2Fs2i.yml?ref=${sha('a')}`,
      `POST ${APP}/check-runs`,
      `GET ${APP}/tarball/${sha('a')}`,
      `PATCH ${APP}/check-runs/101`,
    ]);
    expect(bodyOf(t.github, `POST ${APP}/check-runs`)).toMatchObject({ name: 's2i/build', head_sha: sha('a'), status: 'in_progress' });
    expect(bodyOf(t.github, `PATCH ${APP}/check-runs/101`)).toMatchObject({
      conclusion: 'success',
      actions: [
        { label: 'Rebuild (no cache)', description: 'Build this commit again from scratch', identifier: 'rebuild-no-cache' },
        { label: 'Deploy to qa', description: 'Deploy this commit to qa', identifier: 'deploy:qa' },
      ],
    });
    expect(t.fixture.engine.calls).toContain(`pushImage registry.example.com/acme/hello:${sha('a')}`);
  });

  it('leaves a pull request whose branch deploys on push to that push: no second build', async () => {
    t.flows.token();
    t.flows.config(sha('a'));

    await t.fixture.deliver('pull_request', pullRequest('opened', sha('a'), { ref: 'main' }));

    expect(requestLines(t.github).filter((line) => !line.includes('access_tokens'))).toEqual([`GET ${APP}/contents/.github%2Fs2i.yml?ref=${sha('a')}`]);
  });

  it('does not build a fork until a writer approves its exact head commit, and asks again after a new push', async () => {
    // 1. Opened from a fork: a waiting s2i/build, nothing built.
    t.flows.token();
    t.flows.config(sha('a'));
    t.flows.checkCreated();

    await t.fixture.deliver('pull_request', pullRequest('opened', sha('a'), { fork: true }));

    expect(bodyOf(t.github, `POST ${APP}/check-runs`)).toMatchObject({
      name: 's2i/build',
      head_sha: sha('a'),
      status: 'completed',
      conclusion: 'action_required',
      details_url: 'https://github.com/Codertocat/Hello-World/pull/2',
      output: { title: 'Waiting for approval: pull request from a fork' },
      actions: [{ label: 'Build this commit', description: 'Approve and build exactly this commit', identifier: 'approve-build' }],
    });
    expect(bodyOf(t.github, `POST ${APP}/check-runs`).output.summary).toContain('commenting `/s2i build`');
    expect(t.fixture.engine.calls).toEqual([]);
    t.nextExchange();

    // 2. A reader's /s2i build is refused.
    t.flows.reaction(11);
    t.flows.role('Codertocat', 'read');
    t.flows.replyCreated(2);

    await t.fixture.deliver('issue_comment', comment('/s2i build', 11));

    expect(bodyOf(t.github, `POST ${APP}/issues/2/comments`).body).toContain('needs write access');
    expect(t.fixture.engine.calls).toEqual([]);
    t.nextExchange();

    // 3. A writer's /s2i build approves and builds exactly the head the pull request has when the comment arrives.
    t.flows.reaction(12);
    t.flows.role('Codertocat', 'write');
    t.flows.pullRequest(2, sha('a'), { fork: true });
    const reply = t.flows.replyCreated(2);
    t.flows.role('Codertocat', 'write');
    t.flows.replyEdited(reply, 2);
    t.flows.config(sha('a'), CONFIG_TEXT);
    await t.flows.build(sha('a'));

    await t.fixture.deliver('issue_comment', comment('/s2i build', 12));

    expect(t.fixture.engine.calls).toContain(`pushImage registry.example.com/acme/hello:${sha('a')}`);
    expect(bodiesOf(t.github, `PATCH ${APP}/issues/comments/${reply}`).map((body) => body.body)).toEqual([
      '🔨 `/s2i build` on pull request #2 (aaaaaaa): running.',
      expect.stringMatching(/^✅ `\/s2i build` on pull request #2 \(aaaaaaa\): built\.\n- \[s2i\/build\]\(https:\/\/github\.com\/Codertocat\/Hello-World\/runs\/101\): success — Built registry\.example\.com\/acme\/hello:a{40} in \d+\.\d s$/),
    ]);
    t.nextExchange();

    // 4. A new push to the fork needs a new approval.
    const calls = t.fixture.engine.calls.length;
    t.flows.config(sha('b'));
    t.flows.checkCreated();

    await t.fixture.deliver('pull_request', pullRequest('synchronize', sha('b'), { fork: true }));

    expect(bodyOf(t.github, `POST ${APP}/check-runs`)).toMatchObject({ head_sha: sha('b'), conclusion: 'action_required' });
    expect(t.fixture.engine.calls.length).toBe(calls);
  });
});
