import type { GitHubClient } from './github-client.js';

/** GitHub caps a comment body at 65,536 characters. */
const MAX_BODY = 65_000;

/**
 * The bot's one answer to one command: posted on the first call, then edited in place as the run advances, so a
 * command never leaves a trail of comments. A write GitHub refuses is reported, never thrown into the run.
 */
export class CommentReply {
  private id: number | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly octokit: GitHubClient,
    private readonly where: { owner: string; repo: string; number: number },
    private readonly onError: (error: unknown) => void,
  ) {}

  /** The comment's id once it was posted. */
  get commentId(): number | undefined {
    return this.id;
  }

  /** Shows `body` as the answer; calls are written in order. */
  show(body: string): Promise<void> {
    const text = body.length > MAX_BODY ? `${body.slice(0, MAX_BODY)}\n\n…` : body;
    this.writing = this.writing.then(() => this.write(text));
    return this.writing;
  }

  private async write(body: string): Promise<void> {
    try {
      if (this.id === undefined) {
        const { data } = await this.octokit.rest.issues.createComment({ owner: this.where.owner, repo: this.where.repo, issue_number: this.where.number, body });
        this.id = data.id;
      } else {
        await this.octokit.rest.issues.updateComment({ owner: this.where.owner, repo: this.where.repo, comment_id: this.id, body });
      }
    } catch (error) {
      this.onError(error);
    }
  }
}

/** Reacts 👀 to a comment: the command was seen. */
export async function acknowledge(octokit: GitHubClient, where: { owner: string; repo: string; commentId: number }, onError: (error: unknown) => void): Promise<void> {
  try {
    await octokit.rest.reactions.createForIssueComment({ owner: where.owner, repo: where.repo, comment_id: where.commentId, content: 'eyes' });
  } catch (error) {
    onError(error);
  }
}
