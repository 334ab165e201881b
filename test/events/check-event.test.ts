import { decideCheckRun, decideCheckSuite, type CheckRunPayload, type CheckSuitePayload } from '../../src/events/check-event.js';

const repository = { name: 'hello', full_name: 'acme/hello', html_url: 'https://github.com/acme/hello', default_branch: 'main' };
const SHA = 'a'.repeat(40);

function checkRun(change: Partial<CheckRunPayload> = {}): CheckRunPayload {
  return {
    action: 'rerequested',
    check_run: { name: 's2i/build', head_sha: SHA, check_suite: { head_branch: 'feature' }, pull_requests: [{ number: 5 }] },
    repository,
    installation: { id: 3 },
    sender: { login: 'ada', type: 'User' },
    ...change,
  };
}

describe('events/check-event', () => {
  it('takes Re-run of the bot\'s check with the commit, branch and pull request', () => {
    expect(decideCheckRun(checkRun())).toEqual({
      act: true,
      request: { owner: 'acme', repo: 'hello', fullName: 'acme/hello', url: repository.html_url, defaultBranch: 'main', installationId: 3, sha: SHA, branch: 'feature', pullRequest: 5, sender: 'ada', action: 'rerun' },
    });
  });

  it('takes a button with its identifier', () => {
    const decision = decideCheckRun(checkRun({ action: 'requested_action', requested_action: { identifier: 'deploy:qa' } }));

    expect(decision.act && decision.request.action).toBe('deploy:qa');
  });

  it('takes "Re-run all" of a suite', () => {
    const suite: CheckSuitePayload = { action: 'rerequested', check_suite: { head_sha: SHA, head_branch: null }, repository, installation: { id: 3 }, sender: { login: 'ada', type: 'User' } };

    const decision = decideCheckSuite(suite);

    expect(decision.act && [decision.request.action, decision.request.branch, decision.request.pullRequest]).toEqual(['rerun', undefined, undefined]);
  });

  const ignored: Array<[string, CheckRunPayload, string]> = [
    ['another app\'s check', checkRun({ check_run: { name: 'lint', head_sha: SHA, check_suite: {} } }), 'lint is not a check of s2i-bot'],
    ['a completed check', checkRun({ action: 'completed' }), 'check run completed: nothing was asked'],
    ['a button without an identifier', checkRun({ action: 'requested_action', requested_action: {} }), 'check run requested_action: nothing was asked'],
    ['a request by a bot', checkRun({ sender: { login: 'x[bot]', type: 'Bot' } }), 'requested by a bot'],
    ['no installation', checkRun({ installation: undefined }), 'the delivery names no installation'],
    ['a head that is not a SHA', checkRun({ check_run: { name: 's2i/build', head_sha: 'main', check_suite: {} } }), '"main" is not a commit SHA'],
  ];
  it.each(ignored)('ignores %s', (_name, given, reason) => {
    expect(decideCheckRun(given)).toEqual({ act: false, reason });
  });
});
