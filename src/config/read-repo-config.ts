import type { GitHubClient } from '../github/github-client.js';
import { rawText } from '../github/raw-text.js';
import { CONFIG_PATH, ExtendsTargetError, parseExtendsTarget, type ExtendsTarget, parseRepoConfig, readExtends, type ConfigProblem } from './load-repo-config.js';
import { readYaml } from './read-yaml.js';
import type { RepoConfig } from './schema.js';

export { CONFIG_PATH };

export type LoadedConfig = { status: 'missing' } | { status: 'invalid'; problems: ConfigProblem[] } | { status: 'ok'; config: RepoConfig };

export interface ConfigLocation {
  owner: string;
  repo: string;
  /** The commit the config is read at: the pushed one, never the default branch. */
  commit: { sha: string };
  defaultBranch: string;
}

/**
 * Reads `.github/s2i.yml` at the pushed commit, with Probot's `_extends` (the base file is read from its repo's
 * default branch and the app's own keys win), and validates it.
 */
export async function readRepoConfig(octokit: GitHubClient, at: ConfigLocation): Promise<LoadedConfig> {
  try {
    return await readConfig(octokit, at);
  } catch (error) {
    if (error instanceof NotAFileError) return { status: 'invalid', problems: [{ path: '', message: `${error.message}; make it a YAML file` }] };
    throw error;
  }
}

async function readConfig(octokit: GitHubClient, at: ConfigLocation): Promise<LoadedConfig> {
  const text = await readText(octokit, at.owner, at.repo, CONFIG_PATH, at.commit.sha);
  if (text === undefined) return { status: 'missing' };
  const defaults = { repoName: at.repo, defaultBranch: at.defaultBranch };
  const extendsValue = readExtends(text);
  if (extendsValue === undefined) return toLoaded(parseRepoConfig(text, { defaults }));

  let target: ExtendsTarget;
  try {
    target = parseExtendsTarget(extendsValue, at.owner);
  } catch (error) {
    if (error instanceof ExtendsTargetError) return { status: 'invalid', problems: [{ path: '_extends', message: error.message }] };
    throw error;
  }
  const where = `${target.owner}/${target.repo}:${target.path}`;
  const baseText = await readText(octokit, target.owner, target.repo, target.path);
  if (baseText === undefined) {
    return { status: 'invalid', problems: [{ path: '_extends', message: `_extends: ${where} does not exist or the App cannot read it` }] };
  }
  // The base is another repo's file: the same limits apply (size, depth, tags, aliases).
  const base = readYaml(baseText);
  if (!base.ok) {
    return { status: 'invalid', problems: base.problems.map((problem) => ({ path: '_extends', message: `_extends: ${where}${problem.line ? ` line ${problem.line}` : ''}: ${problem.message}` })) };
  }
  return toLoaded(parseRepoConfig(text, { defaults, base: base.file.value }));
}

class NotAFileError extends Error {}

function toLoaded(parsed: ReturnType<typeof parseRepoConfig>): LoadedConfig {
  return parsed.ok ? { status: 'ok', config: parsed.config } : { status: 'invalid', problems: parsed.problems };
}

/** A file's text at `ref` (default branch when absent); undefined when it does not exist. */
async function readText(octokit: GitHubClient, owner: string, repo: string, path: string, ref?: string): Promise<string | undefined> {
  try {
    const { data } = await octokit.rest.repos.getContent({ owner, repo, path, ...(ref ? { ref } : {}), mediaType: { format: 'raw' } });
    return rawText(data, () => new NotAFileError(`${owner}/${repo}:${path} is a directory or a submodule, not a file`));
  } catch (error) {
    if ((error as { status?: number }).status === 404) return undefined;
    throw error;
  }
}
