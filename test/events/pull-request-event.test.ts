import { decidePullRequest, type PullRequestPayload } from '../../src/events/pull-request-event.js';

const SHA = 'b'.repeat(40);

function payload(action: string, headRepo: string | null): PullRequestPayload {
  return {
    action,
    number: 8,
    pull_request: { html_url: 'https://github.com/acme/hello/pull/8', head: { sha: SHA, ref: 'main', repo: headRepo === null ? null : { full_name: headRepo } }, base: { repo: { full_name: 'acme/hello' } }, user: { login: 'eve' } },
    repository: { name: 'hello', full_name: 'acme/hello', html_url: 'https://github.com/acme/hello', default_branch: 'main' },
    installation: { id: 3 },
  };
}

describe('events/pull-request-event', () => {
  it.each(['opened', 'synchronize', 'reopened'])('takes the head commit of a pull request %s in this repo, with its branch', (action) => {
    const decision = decidePullRequest(payload(action, 'Acme/Hello'));

    expect(decision.act && [decision.target.fork, decision.target.branch, decision.target.commit]).toEqual([false, 'main', { sha: SHA, ref: 'main' }]);
  });

  it('marks a fork, whose branch name never selects an environment of this repo', () => {
    const decision = decidePullRequest(payload('opened', 'eve/hello'));

    expect(decision.act && [decision.target.fork, decision.target.branch, decision.target.commit.ref, decision.target.author]).toEqual([true, undefined, 'pull/8/head', 'eve']);
  });

  it('treats a head repo that was deleted as a fork', () => {
    const decision = decidePullRequest(payload('synchronize', null));

    expect(decision.act && decision.target.fork).toBe(true);
  });

  it.each(['closed', 'labeled', 'edited'])('ignores %s', (action) => {
    expect(decidePullRequest(payload(action, 'acme/hello'))).toEqual({ act: false, reason: `pull request ${action}: no new head commit` });
  });
});
