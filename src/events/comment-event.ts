import { parseCommands, type ParsedCommand } from '../commands/parse-commands.js';
import { appRepoOf, type AppRepo, type RepositoryPayload } from './app-repo.js';

/** The parts of an `issue_comment` payload the bot reads. */
export interface CommentPayload {
  action: string;
  issue: { number: number; pull_request?: unknown };
  comment: { id: number; body?: string | null; user: { login: string; type?: string } | null; performed_via_github_app?: unknown };
  repository: RepositoryPayload;
  installation?: { id: number };
  sender?: { login: string; type?: string };
}

/** A comment with commands for the bot. */
export interface CommentTarget extends AppRepo {
  /** The issue or pull request commented on. */
  number: number;
  isPullRequest: boolean;
  commentId: number;
  author: string;
  commands: ParsedCommand[];
}

export type CommentDecision = { act: true; target: CommentTarget } | { act: false; reason: string };

/**
 * Whether a comment asks the bot for something: a new comment (edits are ignored, so changing a comment cannot
 * run a command twice) by a person (bots, this one included, never command it) with at least one `/s2i` line.
 */
export function decideComment(payload: CommentPayload): CommentDecision {
  if (payload.action !== 'created') return { act: false, reason: `comment ${payload.action}: only new comments are read` };
  const user = payload.comment.user;
  if (!user || user.type === 'Bot' || payload.sender?.type === 'Bot' || payload.comment.performed_via_github_app) {
    return { act: false, reason: 'the comment is by a bot' };
  }
  if (!payload.installation) return { act: false, reason: 'the delivery names no installation' };
  const commands = parseCommands(payload.comment.body ?? '');
  if (commands.length === 0) return { act: false, reason: 'no /s2i command in the comment' };
  return {
    act: true,
    target: {
      ...appRepoOf(payload.repository, payload.installation),
      number: payload.issue.number,
      isPullRequest: payload.issue.pull_request !== undefined && payload.issue.pull_request !== null,
      commentId: payload.comment.id,
      author: user.login,
      commands,
    },
  };
}
