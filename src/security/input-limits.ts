// Not config/schema.ts's DNS_LABEL: the schema imports this module's limits. The rule is the same one.
import { dns1123Label, show } from '../render/kubernetes-rules.js';

/**
 * The largest comment body the command parser reads, in UTF-8 bytes. GitHub caps a comment at 65,536 characters,
 * at most 4 bytes each, so anything longer did not come from GitHub and is not read at all.
 */
export const MAX_COMMENT_BYTES = 65_536 * 4;

/** `branches` entries a `.github/s2i.yml` may have: enough for any branching model, too few to fan out work. */
export const MAX_BRANCH_ENTRIES = 50;

/** A commit as a command names it: 7 to 40 lowercase hex digits (what `git log --oneline` and GitHub show). */
export const COMMIT_SHA = /^[0-9a-f]{7,40}$/;

/** Why a comment body is not read for commands, or undefined when it may be. */
export function commentProblem(body: string): string | undefined {
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > MAX_COMMENT_BYTES) return `the comment is ${bytes} bytes, more than a GitHub comment can hold (${MAX_COMMENT_BYTES}); no command in it was run`;
  if (body.includes('\u0000')) return 'the comment contains a NUL character, which no GitHub comment has; no command in it was run';
  return undefined;
}

/** Why a command's environment argument is not an environment name, or undefined when it is one. */
export function environmentProblem(name: string): string | undefined {
  if (dns1123Label(name) === undefined) return undefined;
  return `${shown(name)} is not an environment name: at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit`;
}

/** Why a command's commit argument is not a commit SHA, or undefined when it is one. */
export function shaProblem(sha: string): string | undefined {
  if (COMMIT_SHA.test(sha)) return undefined;
  return `${shown(sha)} is not a commit SHA: 7 to 40 lowercase hexadecimal digits, such as 4f2a9c1`;
}

/** A value quoted for a message: JSON-escaped, cut short, and without bidi controls that would reorder the text. */
function shown(value: string): string {
  return show(value).replace(/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
