import type { Logger } from 'probot';
import { CONFIG_PATH, environmentForBranch, environmentsOf, renderGitopsPath } from '../config/load-repo-config.js';
import type { GitHubClient } from '../github/github-client.js';
import { describePin, parsePin, PIN_FILE, type Pin } from '../gitops/pin.js';
import { configRepoFor, loadConfig, type BotDependencies } from '../pipeline/commit-run.js';
import { DEPLOYMENT_FILE, deployedSource, type DeployedSource } from '../render/deployed-image.js';
import type { CommandSubject } from './command-subject.js';

/** A check run of the bot on the subject's commit. */
export interface CheckFact {
  name: string;
  status: string;
  conclusion: string | null;
  title: string | undefined;
  url: string | undefined;
}

/** One environment as the config repo has it. */
export interface EnvironmentFact {
  name: string;
  deployed?: DeployedSource;
  pin?: Partial<Pin>;
  /** Why the config repo could not be read. */
  error?: string;
}

/** Everything `/s2i status` says, gathered first so that saying it is a pure function. */
export interface StatusFacts {
  subject: Pick<CommandSubject, 'label' | 'branch' | 'pullRequest'> & { sha: string };
  config:
    | { status: 'ok'; branchEnvironment: string | undefined; configRepo: string; environments: EnvironmentFact[] }
    | { status: 'missing' }
    | { status: 'invalid'; problems: string[] }
    | { status: 'unreadable'; message: string };
  checks: CheckFact[];
}

/** Reads what the status answer needs: the config at the head, the bot's checks on it, and each environment. */
export async function gatherStatus(deps: BotDependencies, octokit: GitHubClient, subject: CommandSubject, log: Logger): Promise<StatusFacts> {
  const [loaded, checks] = await Promise.all([loadConfig(octokit, subject), checksOn(octokit, subject)]);
  const facts: Omit<StatusFacts, 'config'> = { subject: { label: subject.label, branch: subject.branch, pullRequest: subject.pullRequest, sha: subject.commit.sha }, checks };
  switch (loaded.status) {
    case 'missing':
      return { ...facts, config: { status: 'missing' } };
    case 'unreadable':
      return { ...facts, config: { status: 'unreadable', message: loaded.error.message } };
    case 'invalid':
      return { ...facts, config: { status: 'invalid', problems: loaded.problems.map((problem) => `${problem.line ? `line ${problem.line}: ` : ''}${problem.message}`) } };
    case 'ok':
      break;
  }
  const { config } = loaded;
  const configRepo = configRepoFor(deps, octokit, config.gitops, log);
  const environments = await Promise.all(
    environmentsOf(config).map(async (name): Promise<EnvironmentFact> => {
      try {
        const path = renderGitopsPath(config, name);
        const [deployment, pin] = await Promise.all([configRepo.readFile(`${path}/${DEPLOYMENT_FILE}`), configRepo.readFile(`${path}/${PIN_FILE}`)]);
        const deployed = deployment === undefined ? undefined : deployedSource(deployment, config.deploy.name);
        return { name, ...(deployed ? { deployed } : {}), ...(pin === undefined ? {} : { pin: parsePin(pin) }) };
      } catch (error) {
        return { name, error: (error as Error).message };
      }
    }),
  );
  const branchEnvironment = subject.branch === undefined ? undefined : environmentForBranch(config, subject.branch)?.environment;
  return { ...facts, config: { status: 'ok', branchEnvironment, configRepo: configRepo.description, environments } };
}

async function checksOn(octokit: GitHubClient, subject: CommandSubject): Promise<CheckFact[]> {
  const { data } = await octokit.rest.checks.listForRef({ owner: subject.owner, repo: subject.repo, ref: subject.commit.sha, per_page: 50 });
  const latest = new Map<string, (typeof data.check_runs)[number]>();
  for (const run of data.check_runs) {
    if (!run.name.startsWith('s2i/')) continue;
    const seen = latest.get(run.name);
    if (!seen || run.id > seen.id) latest.set(run.name, run);
  }
  return [...latest.values()]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((run) => ({ name: run.name, status: run.status, conclusion: run.conclusion, title: run.output.title ?? undefined, url: run.html_url ?? undefined }));
}

/** The `/s2i status` answer, in Markdown. */
export function describeStatus(facts: StatusFacts): string {
  const sha7 = facts.subject.sha.slice(0, 7);
  const lines = [`**s2i status** of ${facts.subject.label}`, ''];
  const build = facts.checks.find((check) => check.name === 's2i/build');
  switch (facts.config.status) {
    case 'missing':
      lines.push(`Not built: there is no \`${CONFIG_PATH}\` at ${sha7}, so s2i-bot does nothing for this commit.`);
      break;
    case 'unreadable':
      lines.push(`Not built: \`${CONFIG_PATH}\` could not be read from GitHub (${facts.config.message}). Try again in a moment.`);
      break;
    case 'invalid':
      lines.push(`Not built: \`${CONFIG_PATH}\` at ${sha7} is invalid:`, ...facts.config.problems.map((problem) => `- ${problem}`), '', 'Fix it and push again.');
      break;
    case 'ok':
      lines.push(whyBuilt(facts, facts.config.branchEnvironment, build));
  }
  lines.push('', '| Check | Result |', '| --- | --- |');
  if (facts.checks.length === 0) lines.push(`| – | no s2i checks on ${sha7} |`);
  for (const check of facts.checks) {
    const result = check.status === 'completed' ? (check.conclusion ?? 'completed') : check.status.replace('_', ' ');
    const title = check.title ? `: ${escapeCell(check.title)}` : '';
    lines.push(`| ${check.url ? `[${check.name}](${check.url})` : check.name} | ${result}${title} |`);
  }
  if (facts.config.status === 'ok') {
    lines.push('', `Environments (in ${facts.config.configRepo}):`, '', '| Environment | Runs | Pin |', '| --- | --- | --- |');
    for (const environment of facts.config.environments) {
      const runs = environment.error
        ? `cannot read: ${escapeCell(environment.error)}`
        : environment.deployed
          ? `${environment.deployed.sha ? environment.deployed.sha.slice(0, 7) : 'unknown commit'} (\`${environment.deployed.image}\`)`
          : 'not deployed yet';
      const pin = environment.pin ? `📌 ${describePin(environment.pin)}; \`/s2i unpin ${environment.name}\` releases it` : '–';
      lines.push(`| ${environment.name} | ${runs} | ${pin} |`);
    }
  }
  return lines.join('\n');
}

function whyBuilt(facts: StatusFacts, branchEnvironment: string | undefined, build: CheckFact | undefined): string {
  const { subject } = facts;
  if (subject.pullRequest?.fork && (!build || build.conclusion === 'action_required')) {
    return 'Waiting for approval: this pull request comes from a fork, so its head commit is built only after a user with write access comments `/s2i build`.';
  }
  if (subject.pullRequest) return 'Pull request: its head commit is built (`s2i/build`) but deployed only by `/s2i deploy <environment>`.';
  if (!branchEnvironment) return `Not built on push: branch ${subject.branch} matches no \`branches\` entry of \`${CONFIG_PATH}\`.`;
  return `Pushes to ${subject.branch} build and deploy to **${branchEnvironment}**.`;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
