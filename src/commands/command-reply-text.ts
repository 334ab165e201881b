import type { GitHubChecks } from '../report/github-check-run.js';
import type { CommitRunResult } from '../pipeline/commit-run.js';
import type { Command } from './parse-commands.js';
import type { CommandSubject } from './command-subject.js';
import { HELP_TEXT } from './help-text.js';
import type { InvalidCommand } from './parse-commands.js';

/** How a command is written back to the user: `/s2i deploy staging`. */
export function commandText(command: Command): string {
  switch (command.verb) {
    case 'rebuild':
      return `/s2i rebuild${command.noCache ? ' --no-cache' : ''}`;
    case 'deploy':
    case 'unpin':
      return `/s2i ${command.verb} ${command.environment}`;
    case 'rollback':
      return `/s2i rollback ${command.environment}${command.sha ? ` ${command.sha}` : ''}`;
    default:
      return `/s2i ${command.verb}`;
  }
}

/** The answer to a line that is not a command: what was wrong, then the help. */
export function invalidReply(command: InvalidCommand): string {
  return `⚠️ \`${command.line}\`: ${command.problem}.\n\n${HELP_TEXT}`;
}

/** The polite refusal for a user without write access; nothing runs. */
export function refusalReply(command: Command, author: string, repo: string, role: string): string {
  return `🚫 @${author}, \`${commandText(command)}\` needs write access to ${repo} (write, maintain or admin; you have ${role === 'none' ? 'no access' : role}). Nothing was run. Ask a maintainer to run it for you.`;
}

/** The answer while the command waits in the queue. */
export function queuedReply(command: Command, subject: CommandSubject): string {
  return `⏳ \`${commandText(command)}\` on ${subject.label}: queued.`;
}

/** The answer while the command runs. */
export function runningReply(command: Command, subject: CommandSubject): string {
  return `🔨 \`${commandText(command)}\` on ${subject.label}: running.`;
}

/** A command that could not start: why, and what to do. */
export function problemReply(command: Command, subject: CommandSubject | undefined, problem: string, hint: string): string {
  return `❌ \`${commandText(command)}\`${subject ? ` on ${subject.label}` : ''}: ${problem}.\n\n**What to do:** ${hint}.`;
}

/** The answer once the run ended: the outcome in one line, then a line per check run with its link. */
export function resultReply(command: Command, subject: CommandSubject, result: CommitRunResult): string {
  const head = `\`${commandText(command)}\` on ${subject.label}`;
  switch (result.status) {
    case 'no-config':
      return `❌ ${head}: there is no \`.github/s2i.yml\` at this commit, so there is nothing to build.`;
    case 'invalid':
      return [`❌ ${head}: \`.github/s2i.yml\` is invalid.`, ...checkLines(result.checks)].join('\n');
    case 'not-configured':
      return `❌ ${head}: branch ${result.branch ?? '(none)'} maps to no environment in \`.github/s2i.yml\`.`;
    case 'unknown-environment':
      return `❌ ${head}: ${result.environment} is not an environment of \`.github/s2i.yml\` (known: ${result.known.join(', ') || 'none'}). Add it under \`environments\` or \`branches\`.`;
    case 'duplicate':
      return `✅ ${head}: already done for this commit; see its checks. Use \`/s2i rebuild\` to build it again.`;
    case 'cancelled':
      return [`⏹️ ${head}: cancelled: ${result.reason}.`, ...checkLines(result.checks)].join('\n');
    case 'refused':
      return `🚫 ${head}: refused when it was about to start.`;
    case 'ran':
      return [`${result.result.ok ? '✅' : result.result.heldBack ? '⏸️' : '❌'} ${head}: ${outcomeLine(result)}`, ...checkLines(result.checks)].join('\n');
  }
}

function outcomeLine(result: Extract<CommitRunResult, { status: 'ran' }>): string {
  const { deploy, heldBack, ok } = result.result;
  if (result.result.overtakenBy) return `built, but not deployed: ${result.environment} already runs the newer commit ${result.result.overtakenBy.slice(0, 7)}.`;
  if (heldBack) return `built, but not deployed: ${result.environment} is pinned (\`/s2i unpin ${result.environment}\` releases it).`;
  if (!ok) return 'failed; the check says why and what to do.';
  if (!result.environment) return 'built.';
  switch (deploy?.status) {
    case 'committed':
      return `deployed to ${result.environment}: config commit [${deploy.commitSha.slice(0, 7)}](${deploy.url}).`;
    case 'pull-request':
      return `deploy to ${result.environment} waits in [pull request #${deploy.number}](${deploy.url}).`;
    case 'unchanged':
      return `${result.environment} already runs this image.`;
    case 'dry-run':
      return `dry run: nothing was written for ${result.environment}.`;
    default:
      return 'done.';
  }
}

function checkLines(checks: GitHubChecks): string[] {
  return checks.made.filter((check) => check.started).map((check) => {
    const name = check.url ? `[${check.name}](${check.url})` : check.name;
    return `- ${name}: ${check.outcome ? `${check.outcome.conclusion} — ${check.outcome.title}` : 'not concluded'}`;
  });
}
