import type { Logger } from 'probot';
import { environmentsOf } from '../config/load-repo-config.js';
import type { CommentTarget } from '../events/comment-event.js';
import { acknowledge, CommentReply } from '../github/comment-reply.js';
import type { GitHubClient } from '../github/github-client.js';
import { canWrite, repoRole } from '../github/permission.js';
import { configRepoFor, loadConfig, runCommit, type BotDependencies, type CommitRunResult } from '../pipeline/commit-run.js';
import { describeFailure } from '../report/describe-failure.js';
import { chooseRollback } from './choose-rollback.js';
import { resolveSubject, type CommandSubject } from './command-subject.js';
import { invalidReply, problemReply, queuedReply, refusalReply, resultReply, runningReply } from './command-reply-text.js';
import { describeStatus, gatherStatus } from './describe-status.js';
import { HELP_TEXT } from './help-text.js';
import { WRITE_VERBS, type Command } from './parse-commands.js';
import { unpinEnvironment } from './unpin-environment.js';

/**
 * Answers a comment's `/s2i` commands: 👀 on the comment, then one reply per command, edited in place as it runs.
 * Commands that build or deploy need write access, asked from GitHub when the comment arrives and again when the
 * run starts (a permission revoked meanwhile stops it). What they act on is resolved on arrival.
 */
export async function handleComment(deps: BotDependencies, octokit: GitHubClient, comment: CommentTarget, log: Logger): Promise<void> {
  const onError = (error: unknown) => log.error({ err: error }, 'comment could not be written');
  await acknowledge(octokit, { owner: comment.owner, repo: comment.repo, commentId: comment.commentId }, onError);
  let subject: Promise<CommandSubject> | undefined;
  const subjectOf = () => (subject ??= resolveSubject(octokit, comment));
  for (const command of comment.commands) {
    const reply = new CommentReply(octokit, { owner: comment.owner, repo: comment.repo, number: comment.number }, onError);
    if (command.verb === 'invalid') {
      await reply.show(invalidReply(command));
      continue;
    }
    await answer(deps, octokit, comment, command, subjectOf, reply, log).catch((error: unknown) => replyFailure(reply, command, undefined, error, log));
  }
}

/** A command that failed unexpectedly: logged, and answered with what went wrong and what to do. */
async function replyFailure(reply: CommentReply, command: Command, subject: CommandSubject | undefined, error: unknown, log: Logger): Promise<void> {
  const failure = describeFailure(error, 'command');
  log.error({ err: error, command: command.verb }, 'command failed');
  await reply.show(problemReply(command, subject, failure.reason, failure.hint));
}

async function answer(
  deps: BotDependencies,
  octokit: GitHubClient,
  comment: CommentTarget,
  command: Command,
  subjectOf: () => Promise<CommandSubject>,
  reply: CommentReply,
  log: Logger,
): Promise<void> {
  if (command.verb === 'help') return reply.show(HELP_TEXT);
  if (command.verb === 'status') return reply.show(describeStatus(await gatherStatus(deps, octokit, await subjectOf(), log)));
  if (WRITE_VERBS.has(command.verb)) {
    const role = await repoRole(octokit, comment.owner, comment.repo, comment.author);
    if (!canWrite(role)) {
      log.info({ user: comment.author, role, command: command.verb }, 'command refused: no write access');
      return reply.show(refusalReply(command, comment.author, comment.fullName, role));
    }
  }
  const subject = await subjectOf();
  await reply.show(queuedReply(command, subject));
  // Asked again when the work starts: a build may wait long for a slot, and access can be taken away meanwhile.
  const mayStart = async () => {
    const role = await repoRole(octokit, comment.owner, comment.repo, comment.author);
    if (!canWrite(role)) {
      log.info({ user: comment.author, role, command: command.verb }, 'command refused at run time: no write access');
      await reply.show(refusalReply(command, comment.author, comment.fullName, role));
      return false;
    }
    await reply.show(runningReply(command, subject));
    return true;
  };
  deps.queue.track(
    (async () => {
      try {
        const answer = await execute(deps, octokit, comment, command, subject, mayStart, reply.commentId, log);
        if (answer !== undefined) await reply.show(answer);
      } catch (error) {
        await replyFailure(reply, command, subject, error, log);
      }
    })(),
  );
}

/**
 * Runs a command that builds or deploys; returns the final reply, or undefined when `mayStart` refused it (and
 * said so). Builds ask `mayStart` when they get their slot; a rollback or an unpin asks it first.
 */
async function execute(
  deps: BotDependencies,
  octokit: GitHubClient,
  comment: CommentTarget,
  command: Command,
  subject: CommandSubject,
  mayStart: () => Promise<boolean>,
  commentId: number | undefined,
  log: Logger,
): Promise<string | undefined> {
  const run = (result: CommitRunResult) => (result.status === 'refused' ? undefined : resultReply(command, subject, result));
  const asked = { kind: 'command' as const, mayStart, ...(commentId !== undefined ? { commentId } : {}) };
  switch (command.verb) {
    case 'build':
      return run(await runCommit(deps, octokit, subject, { deploy: { kind: 'none' }, ...asked }, log));
    case 'rebuild': {
      const deploy = subject.pullRequest ? { deploy: { kind: 'none' as const } } : { deploy: { kind: 'branch' as const }, buildWhenUnmapped: true };
      return run(await runCommit(deps, octokit, subject, { ...deploy, rebuild: true, noCache: command.noCache, ...asked }, log));
    }
    case 'deploy':
      return run(await runCommit(deps, octokit, subject, { deploy: { kind: 'environment', environment: command.environment }, ...asked }, log));
    case 'rollback': {
      if (!(await mayStart())) return undefined;
      const choice = await chooseRollback(deps, octokit, subject, command.environment, command.sha, log);
      if (!choice.ok) return problemReply(command, subject, choice.problem, choice.hint);
      const pin = {
        environment: command.environment,
        repo: subject.fullName,
        sha: choice.sha,
        image: choice.image.pinned,
        by: comment.author,
        at: new Date().toISOString(),
        reason: `rollback by /s2i rollback ${command.environment}${command.sha ? ` ${command.sha}` : ''}`,
      };
      const target = { ...subject, branch: undefined, commit: { sha: choice.sha, ...(choice.message ? { message: choice.message } : {}) } };
      return run(await runCommit(deps, octokit, target, { deploy: { kind: 'environment', environment: command.environment }, rollback: { image: choice.image, pin }, config: choice.config, kind: 'command' }, log));
    }
    case 'unpin': {
      if (!(await mayStart())) return undefined;
      const loaded = await loadConfig(octokit, subject);
      if (loaded.status !== 'ok') return problemReply(command, subject, `\`.github/s2i.yml\` at ${subject.commit.sha.slice(0, 7)} is ${loaded.status}`, 'fix the config first; the pin lives where it says');
      if (!environmentsOf(loaded.config).includes(command.environment)) {
        return problemReply(command, subject, `${command.environment} is not an environment of \`.github/s2i.yml\``, `name one of: ${environmentsOf(loaded.config).join(', ')}`);
      }
      const configRepo = configRepoFor(deps, octokit, loaded.config.gitops, log);
      const outcome = await unpinEnvironment(configRepo, loaded.config, subject.fullName, command.environment, comment.author);
      if (outcome.status === 'not-pinned') return `✅ \`/s2i unpin ${command.environment}\`: ${command.environment} was not pinned; pushes deploy there.`;
      const where = outcome.write.status === 'committed' ? `: config commit [${outcome.write.commitSha.slice(0, 7)}](${outcome.write.url})` : outcome.write.status === 'pull-request' ? `: waits in [pull request #${outcome.write.number}](${outcome.write.url})` : '';
      return `✅ \`/s2i unpin ${command.environment}\`: ${command.environment} is no longer pinned${where}. The next push to its branch deploys there.`;
    }
    default:
      throw new Error(`${command.verb} does not run`);
  }
}
