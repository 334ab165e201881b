import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { environmentForBranch, parseRepoConfig, readExtends } from '../config/load-repo-config.js';
import { CONFIG_PATH } from '../config/read-repo-config.js';
import type { RepoConfig } from '../config/schema.js';
import type { ContainerEngine } from '../docker/container-engine.js';
import { DryRunConfigRepo } from '../gitops/dry-run-config-repo.js';
import { LocalConfigRepo } from '../gitops/local-config-repo.js';
import { runPipeline, type PipelineResult } from '../pipeline/run-pipeline.js';
import type { CheckName } from '../report/check-output.js';
import { TerminalReporter } from '../report/terminal-reporter.js';
import { loadEngineSettings } from '../settings/engine-settings.js';
import { packDirectory } from '../source/pack-directory.js';
import { describeLocalSource } from './local-source.js';
import { UsageError, type Output } from './output.js';

export const DEPLOY_USAGE = `Usage: s2i-bot deploy <dir> --config-repo DIR [options]

Runs the bot's pipeline on a local checkout: builds <dir> with the builder its ${CONFIG_PATH} names, pushes the
image, renders the manifests pinned by digest and commits them into a local git config repo. The config repo
must hold a .github/s2i-policy.yml that grants the app (see the README).

Options:
  --config-repo DIR      local git repository that receives the manifests (created when missing) (required)
  --config FILE          the app's config (default: <dir>/${CONFIG_PATH})
  --repo OWNER/NAME      the app's name as the policy file knows it (default: local/<dir name>)
  --environment ENV      deploy to ENV (default: the environment the checkout's branch maps to)
  --dry-run              build, push, render and check the policy, but commit nothing
  --rebuild              build even if the registry already has <image>:<sha> (a checkout with uncommitted
                         changes is always built)
  -q, --quiet            do not stream the assemble log

Exit status: 0 deployed, already deployed or dry run, 1 a step failed (its check's output is printed),
2 wrong command line, 130 interrupted.
`;

export interface DeployCommandResult extends PipelineResult {
  configRepoDir: string;
  environment: string;
  /** The first check that did not succeed, when `ok` is false; its output has been printed. */
  failedCheck?: CheckName;
}

/** `s2i-bot deploy`: the whole push → deploy pipeline with a local directory as source and a local git config repo. */
export async function deployCommand(argv: string[], engine: ContainerEngine, out: Output, signal?: AbortSignal): Promise<DeployCommandResult> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'config-repo': { type: 'string' },
      config: { type: 'string' },
      repo: { type: 'string' },
      environment: { type: 'string' },
      quiet: { type: 'boolean', short: 'q', default: false },
      rebuild: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 1) throw new UsageError('give exactly one source directory', DEPLOY_USAGE);
  const configRepoDir = values['config-repo'];
  if (!configRepoDir) throw new UsageError('--config-repo is required', DEPLOY_USAGE);
  const dir = positionals[0];
  if (!(await stat(dir).then((stats) => stats.isDirectory(), () => false))) throw new UsageError(`${dir} is not a directory`, DEPLOY_USAGE);
  const repo = values.repo ?? `local/${basename(join(process.cwd(), dir))}`;
  if (!/^[\w.-]+\/[\w.-]+$/.test(repo)) throw new UsageError(`--repo must be OWNER/NAME, got "${repo}"`, DEPLOY_USAGE);

  const local = await describeLocalSource(dir);
  if (!local.commit) throw new UsageError(`${dir} is not in a git checkout: the image tag and the manifests name the commit they come from`, DEPLOY_USAGE);
  if (local.dirty) out.warn(`${dir} has uncommitted changes: the image is built from the files as they are, not from ${local.commit.sha.slice(0, 7)}, even if the registry has that commit's image`);

  const configPath = values.config ?? join(dir, CONFIG_PATH);
  const branch = local.commit.ref ?? 'main';
  const config = await readLocalConfig(configPath, { dir, repo, branch, usage: DEPLOY_USAGE, out });
  const environment = values.environment ?? environmentForBranch(config, branch)?.environment;
  if (!environment) throw new UsageError(`branch "${branch}" maps to no environment in ${configPath}; give --environment`, DEPLOY_USAGE);

  const reporter = new TerminalReporter(out);
  const result = await runPipeline(
    // Files that differ from the commit must be built, whatever the registry has for the commit.
    { repo, sourceUrl: local.location, commit: local.commit, config, environment, rebuild: values.rebuild || local.dirty },
    {
      engine,
      settings: loadEngineSettings(),
      openSource: () => packDirectory(dir),
      stripComponents: 0,
      configRepo: (gitops) => {
        const local = new LocalConfigRepo({ dir: configRepoDir, mode: gitops.mode });
        return values['dry-run'] ? new DryRunConfigRepo(local, (message, files) => out.phase(`${message}: ${files.join(', ')}`)) : local;
      },
      reporter,
      signal,
      onEvent: (event) => {
        if (event.kind === 'phase') out.phase(event.message);
        else if (!values.quiet) out.log(event.line);
      },
    },
  );
  if (result.deploy) out.result(deployedLine(result.deploy, { repo, sha: local.commit.sha, environment, configRepoDir }));
  const failedCheck = result.ok ? undefined : [...reporter.conclusions].find(([, conclusion]) => conclusion !== 'success')?.[0];
  return { ...result, configRepoDir, environment, ...(failedCheck ? { failedCheck } : {}) };
}

/**
 * Reads and validates an app's `.github/s2i.yml` from the local disk, with the defaults a GitHub repo named `repo`
 * whose default branch is `branch` would get. An unreadable file is a usage error (the command line names it); an
 * invalid one an error listing each problem as `file:line: message`.
 */
export async function readLocalConfig(configPath: string, at: { dir: string; repo: string; branch: string; usage: string; out: Output }): Promise<RepoConfig> {
  const text = await readFile(configPath, 'utf8').catch(() => {
    throw new UsageError(`${configPath} could not be read; give --config FILE or add ${CONFIG_PATH} to ${at.dir}`, at.usage);
  });
  const extendsValue = readExtends(text);
  if (extendsValue !== undefined) {
    at.out.warn(`${configPath} inherits from "${extendsValue}" (_extends), which is read from GitHub and not followed here: only its own settings are used`);
  }
  const parsed = parseRepoConfig(text, { defaults: { repoName: at.repo.split('/')[1], defaultBranch: at.branch } });
  if (!parsed.ok) {
    const problems = parsed.problems.map((problem) => `${configPath}${problem.line ? `:${problem.line}` : ''}: ${problem.message}`);
    throw new Error(`the config is invalid:\n${problems.join('\n')}`);
  }
  return parsed.config;
}

/** The one line that says where the deploy landed, or that it was already there. */
function deployedLine(outcome: NonNullable<PipelineResult['deploy']>, at: { repo: string; sha: string; environment: string; configRepoDir: string }): string {
  const source = `${at.repo}@${at.sha.slice(0, 7)}`;
  switch (outcome.status) {
    case 'committed':
      return `Deployed ${source} to ${at.environment}: config commit ${outcome.commitSha} in ${at.configRepoDir}`;
    case 'unchanged':
      return `Already deployed: ${at.configRepoDir} has the manifests of ${source} for ${at.environment} (head ${outcome.headSha.slice(0, 7)}); nothing was committed`;
    case 'pull-request':
      return `Deployed ${source} to ${at.environment} for review: pull request #${outcome.number} ${outcome.url}`;
    case 'dry-run':
      return `Dry run: ${source} would be deployed to ${at.environment}; nothing was written to ${at.configRepoDir}`;
  }
}
