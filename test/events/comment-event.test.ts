import { decideComment, type CommentPayload } from '../../src/events/comment-event.js';

function payload(change: Partial<CommentPayload> & { body?: string; user?: CommentPayload['comment']['user'] } = {}): CommentPayload {
  return {
    action: change.action ?? 'created',
    issue: change.issue ?? { number: 4 },
    comment: { id: 9, body: change.body ?? '/s2i build', user: change.user === undefined ? { login: 'ada', type: 'User' } : change.user },
    repository: { name: 'hello', full_name: 'acme/hello', html_url: 'https://github.com/acme/hello', default_branch: 'trunk' },
    installation: 'installation' in change ? change.installation : { id: 3 },
    sender: change.sender ?? { login: 'ada', type: 'User' },
  };
}

describe('events/comment-event', () => {
  it('takes a new comment with a command, on a pull request', () => {
    const decision = decideComment(payload({ issue: { number: 4, pull_request: { url: 'x' } } }));

    expect(decision).toEqual({
      act: true,
      target: {
        owner: 'acme',
        repo: 'hello',
        fullName: 'acme/hello',
        url: 'https://github.com/acme/hello',
        defaultBranch: 'trunk',
        installationId: 3,
        number: 4,
        isPullRequest: true,
        commentId: 9,
        author: 'ada',
        commands: [{ verb: 'build' }],
      },
    });
  });

  const ignored: Array<[string, CommentPayload, string]> = [
    ['an edit', payload({ action: 'edited' }), 'comment edited: only new comments are read'],
    ['a deletion', payload({ action: 'deleted' }), 'comment deleted: only new comments are read'],
    ['a bot author', payload({ user: { login: 's2i-bot[bot]', type: 'Bot' } }), 'the comment is by a bot'],
    ['a bot sender', payload({ sender: { login: 'dependabot[bot]', type: 'Bot' } }), 'the comment is by a bot'],
    ['a ghost author', payload({ user: null }), 'the comment is by a bot'],
    ['no installation', payload({ installation: undefined }), 'the delivery names no installation'],
    ['no command', payload({ body: 'LGTM' }), 'no /s2i command in the comment'],
  ];
  it.each(ignored)('ignores %s', (_name, given, reason) => {
    expect(decideComment(given)).toEqual({ act: false, reason });
  });
});
