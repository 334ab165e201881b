import { createRequire } from 'node:module';
import { decidePush, type PushPayload } from '../../src/events/push-event.js';

const require = createRequire(import.meta.url);
const examples = require('@octokit/webhooks-examples/api.github.com/index.json') as Array<{ name: string; examples: PushPayload[] }>;
const pushes = examples.find((example) => example.name === 'push')?.examples ?? [];
/** GitHub's example of a push to a branch of a repo the App is installed on. */
const branchPush = pushes.find((push) => push.ref === 'refs/heads/master' && push.installation) as PushPayload;

describe('events/push-event', () => {
  it('acts on a push to a branch, with the commit as the image labels describe it', () => {
    const decision = decidePush(branchPush);

    expect(decision).toEqual({
      act: true,
      target: {
        owner: 'Codertocat',
        repo: 'Hello-World',
        fullName: 'Codertocat/Hello-World',
        url: 'https://github.com/Codertocat/Hello-World',
        defaultBranch: 'master',
        branch: 'master',
        installationId: 1,
        commit: {
          sha: '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
          ref: 'master',
          author: 'Codertocat <21031067+Codertocat@users.noreply.github.com>',
          date: '2019-05-15T15:19:25Z',
          message: 'Initial commit',
        },
      },
    });
  });

  it.each([
    ['a branch deletion', { ...branchPush, deleted: true, after: '0'.repeat(40) }, 'the branch was deleted'],
    ['a tag', { ...branchPush, ref: 'refs/tags/v1' }, 'refs/tags/v1 is not a branch (tags are not built)'],
    ['a delivery without installation', { ...branchPush, installation: undefined }, 'the delivery names no installation'],
    ['an `after` that is no SHA', { ...branchPush, after: 'main' }, '"main" is not a commit SHA'],
  ])('ignores %s and says why', (_name, payload, reason) => {
    expect(decidePush(payload as PushPayload)).toEqual({ act: false, reason });
  });

  it('ignores every tag example GitHub publishes', () => {
    const tagPushes = pushes.filter((push) => push.ref.startsWith('refs/tags/'));

    expect(tagPushes.length).toBeGreaterThan(0);
    expect(tagPushes.map((push) => decidePush(push).act)).toEqual(tagPushes.map(() => false));
  });

  it('leaves out commit details when head_commit is not the pushed commit', () => {
    const decision = decidePush({ ...branchPush, head_commit: null });

    expect(decision.act && decision.target.commit).toEqual({ sha: '6113728f27ae82c7b1a177c8d03f9e96e0adf246', ref: 'master' });
  });
});
