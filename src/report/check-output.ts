import { describePin, PIN_FILE, type Pin } from '../gitops/pin.js';
import { formatBytes } from '../source/prepare-source.js';

/** The two check runs the bot puts on a commit. */
export type CheckName = 's2i/build' | 's2i/deploy';

export type Conclusion = 'success' | 'failure' | 'cancelled' | 'neutral' | 'action_required' | 'skipped';

/** A line-level note on a file of the app repo, shown by GitHub next to the code. */
export interface Annotation {
  path: string;
  start_line: number;
  end_line: number;
  start_column?: number;
  end_column?: number;
  annotation_level: 'notice' | 'warning' | 'failure';
  title?: string;
  message: string;
}

/** What a check run shows: GitHub renders `summary` and `text` as Markdown. */
export interface CheckOutput {
  title: string;
  summary: string;
  text?: string;
  annotations?: Annotation[];
}

/** A button on a concluded check run; GitHub sends `check_run.requested_action` with its identifier. */
export interface CheckAction {
  /** At most 20 characters. */
  label: string;
  /** At most 40 characters. */
  description: string;
  /** At most 20 characters. */
  identifier: string;
}

/** A failure as the user reads it: the step, why it failed and what to do. */
export interface Failure {
  step: string;
  reason: string;
  hint: string;
  logTail?: string[];
}

// GitHub refuses outputs past 65535 characters and titles are shown on one line.
const MAX_TEXT_CHARS = 60_000;
const MAX_TITLE_CHARS = 120;
/** GitHub takes at most 50 annotations per request. */
export const MAX_ANNOTATIONS = 50;

export interface BuildTarget {
  builder: string;
  /** `repository:tag` being built. */
  reference: string;
  environment?: string;
}

export interface BuiltImage {
  pinned: string;
  digest: string;
  sizeBytes: number;
  durationMs: number;
  incremental: boolean;
}

/** `s2i/build` while it runs, with the latest log tail when there is one. */
export function buildInProgress(target: BuildTarget, logTail: string[] = []): CheckOutput {
  return {
    title: `Building ${target.reference}`,
    summary: [`**Builder:** \`${target.builder}\``, `**Image:** \`${target.reference}\``, deployNote(target.environment)].join('\n'),
    ...(logTail.length > 0 ? { text: logBlock('Build log (last lines)', logTail) } : {}),
  };
}

/** `s2i/build` after the image is in the registry. */
export function buildSucceeded(target: BuildTarget, image: BuiltImage): CheckOutput {
  return {
    title: `Built ${target.reference} in ${formatDuration(image.durationMs)}`,
    summary: [
      `**Image:** \`${image.pinned}\``,
      `**Digest:** \`${image.digest}\``,
      `**Size:** ${formatBytes(image.sizeBytes)}`,
      `**Duration:** ${formatDuration(image.durationMs)}`,
      `**Incremental:** ${image.incremental ? 'yes' : 'no'}`,
      `**Builder:** \`${target.builder}\``,
      deployNote(target.environment),
    ].join('\n'),
  };
}

/** `s2i/build` when the registry already had this commit's image: nothing was built, the image is reused. */
export function alreadyBuilt(target: BuildTarget, image: { pinned: string; digest: string }): CheckOutput {
  return {
    title: `Already built: ${target.reference}`,
    summary: [
      `The registry already has the image of this commit, so it was not built again.`,
      '',
      `**Image:** \`${image.pinned}\``,
      `**Digest:** \`${image.digest}\``,
      deployNote(target.environment),
    ].join('\n'),
  };
}

/** Any failed step: a one-line title, then step, reason and what to do, then the log tail if there is one. */
export function failureOutput(failure: Failure, annotations: Annotation[] = []): CheckOutput {
  const firstLine = failure.reason.split('\n')[0];
  return {
    title: truncate(`${capitalise(failure.step)} failed: ${firstLine}`, MAX_TITLE_CHARS),
    summary: [`**Step:** ${failure.step}`, `**What went wrong:** ${failure.reason}`, `**What to do:** ${failure.hint}`].join('\n\n'),
    ...(failure.logTail && failure.logTail.length > 0 ? { text: logBlock('Log (last lines)', failure.logTail) } : {}),
    ...(annotations.length > 0 ? { annotations: annotations.slice(0, MAX_ANNOTATIONS) } : {}),
  };
}

/** `s2i/build` when a newer push made this one pointless. */
export function buildCancelled(reason: string): CheckOutput {
  return { title: 'Build cancelled', summary: reason };
}

export interface DeployTarget {
  environment: string;
  /** `owner/name@branch` of the config repo. */
  configRepo: string;
  path: string;
  image: string;
}

export type DeployResult =
  | { status: 'committed'; commitSha: string; url: string }
  | { status: 'unchanged'; headSha: string }
  | { status: 'pull-request'; number: number; url: string; created: boolean }
  | { status: 'dry-run' };

/** `s2i/deploy` once the config repo has the manifests (or already had them, or a dry run checked them). */
export function deploySucceeded(target: DeployTarget, result: DeployResult, files: string[]): CheckOutput {
  const fileList = files.map((file) => `- \`${file}\``).join('\n');
  const where = [`**Config repo:** ${target.configRepo}`, `**Image:** \`${target.image}\``, '', 'Files:', fileList].join('\n');
  switch (result.status) {
    case 'committed':
      return {
        title: `Deployed to ${target.environment}: config commit ${result.commitSha.slice(0, 7)}`,
        summary: `Committed the manifests to ${target.configRepo}: [${result.commitSha.slice(0, 7)}](${result.url}).\n\n${where}`,
      };
    case 'unchanged':
      return {
        title: `Already deployed to ${target.environment}`,
        summary: `The config repo already has these manifests (head ${result.headSha.slice(0, 7)}); nothing was committed.\n\n${where}`,
      };
    case 'pull-request':
      return {
        title: `Pull request #${result.number} ${result.created ? 'opened' : 'updated'} for ${target.environment}`,
        summary: `The manifests wait for review in [pull request #${result.number}](${result.url}); the environment changes when it is merged.\n\n${where}`,
      };
    case 'dry-run':
      return {
        title: `Dry run: would deploy to ${target.environment}`,
        summary: `The operator set S2I_DRY_RUN: the manifests were rendered and the policy allows them, but nothing was written to ${target.configRepo}.\n\n${where}`,
      };
  }
}

/** `s2i/deploy` of a deploy a pin held back: nothing was written. */
export function deployHeldBack(target: DeployTarget, pin: Partial<Pin>): CheckOutput {
  const release = `Comment \`/s2i unpin ${target.environment}\` to let pushes deploy there again, or \`/s2i deploy ${target.environment}\` after that to deploy this commit.`;
  return {
    title: `Held back: ${target.environment} is ${describePin(pin)}`,
    summary: [
      `Not deployed: ${target.environment} is ${describePin(pin)}${target.path ? ` (\`${target.path}/${PIN_FILE}\` in ${target.configRepo})` : ''}. The image was built and pushed; nothing was written to the config repo.`,
      release,
      `**Image:** \`${target.image}\``,
    ].join('\n\n'),
  };
}

/** `s2i/deploy` of an older commit that finished after a newer one deployed: it does not move the environment back. */
export function deployOvertaken(target: DeployTarget, newer: string): CheckOutput {
  return {
    title: `Not deployed: ${target.environment} already runs the newer commit ${newer.slice(0, 7)}`,
    summary: `A newer commit (${newer}) was deployed to ${target.environment} while this one was being built, so this one is not deployed: an environment never moves back to an older commit. Nothing was written. To deploy this commit anyway, comment \`/s2i deploy ${target.environment}\` on it.\n\n**Image:** \`${target.image}\``,
  };
}

/** `s2i/build` of a pull request from a fork: its code runs only once a writer approves this exact commit. */
export function buildAwaitingApproval(sha: string, author: string): CheckOutput {
  return {
    title: 'Waiting for approval: pull request from a fork',
    summary: [
      `This commit comes from a fork (@${author}), so s2i-bot does not build it on its own: building runs the fork's code with the app's builder and registry credentials.`,
      `A user with write access to this repo can approve exactly this commit (${sha.slice(0, 7)}) by commenting \`/s2i build\` on the pull request, or with the **Build this commit** button. A new push needs a new approval.`,
    ].join('\n\n'),
  };
}

function deployNote(environment: string | undefined): string {
  return environment ? `**Deploys to:** ${environment}` : '**Deploys to:** nothing (this branch maps to no environment)';
}

function logBlock(heading: string, lines: string[]): string {
  let body = lines.join('\n');
  if (body.length > MAX_TEXT_CHARS) body = `…\n${body.slice(body.length - MAX_TEXT_CHARS)}`;
  // A fence longer than any backtick run in the log, so the log cannot close it.
  const longestRun = Math.max(2, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  return `### ${heading}\n\n${fence}text\n${body}\n${fence}`;
}

/** `1.2 s`, `3 min 4 s`. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
