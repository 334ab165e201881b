import type { Logger } from 'probot';
import { renderGitopsPath } from '../config/load-repo-config.js';
import type { RepoConfig } from '../config/schema.js';
import type { GitHubClient } from '../github/github-client.js';
import { configRepoFor, loadConfig, type BotDependencies } from '../pipeline/commit-run.js';
import { registryAuth } from '../registry/docker-config.js';
import { parseImageReference } from '../registry/image-reference.js';
import type { PushResult } from '../registry/push-image.js';
import { DEPLOYMENT_FILE, deployedSource } from '../render/deployed-image.js';
import type { DeploymentPayload } from '../report/github-deployments.js';
import type { CommandSubject } from './command-subject.js';

/** The deploy a rollback makes again: the commit, its image as the registry has it, and its config. */
export type RollbackChoice =
  | { ok: true; sha: string; message: string | undefined; image: PushResult; config: RepoConfig }
  | { ok: false; problem: string; hint: string };

/** Deployments looked at, newest first, when searching for the previous successful one. */
const SEARCHED_DEPLOYMENTS = 10;

/**
 * What `/s2i rollback <environment> [<sha>]` deploys. With a sha: that commit's image, which must be in the
 * registry. Without: the newest successful GitHub Deployment of the environment whose image is not the one the
 * config repo runs now. Either way the manifests are rendered from the config at that commit, as they were then.
 */
export async function chooseRollback(
  deps: BotDependencies,
  octokit: GitHubClient,
  subject: CommandSubject,
  environment: string,
  sha: string | undefined,
  log: Logger,
): Promise<RollbackChoice> {
  const { owner, repo } = subject;
  if (sha !== undefined) {
    const commit = await octokit.rest.repos.getCommit({ owner, repo, ref: sha }).then(
      ({ data }) => ({ sha: data.sha, message: data.commit.message }),
      (error: { status?: number }) => {
        if (error.status === 404 || error.status === 422) return undefined;
        throw error;
      },
    );
    if (!commit) return { ok: false, problem: `${subject.fullName} has no commit ${sha}`, hint: 'give a commit SHA of this repo (7 to 40 hexadecimal digits)' };
    const config = await configAt(octokit, subject, commit.sha);
    if (!config.ok) return config;
    const reference = `${config.config.image}:${commit.sha}`;
    const digest = await digestOf(deps, reference);
    if (!digest) {
      return { ok: false, problem: `the registry has no image ${reference}`, hint: `only built commits can be deployed again; build it first (e.g. \`/s2i build\` on a pull request with that commit)` };
    }
    return { ok: true, sha: commit.sha, message: commit.message, image: pushResult(config.config.image, commit.sha, digest), config: config.config };
  }

  const current = await currentImage(deps, octokit, subject, environment, log);
  const { data: deployments } = await octokit.rest.repos.listDeployments({ owner, repo, environment, per_page: SEARCHED_DEPLOYMENTS });
  for (const deployment of deployments) {
    const payload = (typeof deployment.payload === 'object' ? deployment.payload : {}) as Partial<DeploymentPayload>;
    if (typeof payload.image !== 'string' || payload.image === current) continue;
    const { data: statuses } = await octokit.rest.repos.listDeploymentStatuses({ owner, repo, deployment_id: deployment.id, per_page: 1 });
    if (statuses[0]?.state !== 'success') continue;
    const config = await configAt(octokit, subject, deployment.sha);
    if (!config.ok) return config;
    const digest = await digestOf(deps, payload.image);
    if (!digest) {
      return { ok: false, problem: `the previous deploy's image ${payload.image} is no longer in the registry`, hint: `roll back to a commit whose image still exists: \`/s2i rollback ${environment} <sha>\`` };
    }
    return { ok: true, sha: deployment.sha, message: undefined, image: pushResult(config.config.image, deployment.sha, digest), config: config.config };
  }
  return {
    ok: false,
    problem: `no earlier successful deploy to ${environment} was found among the last ${SEARCHED_DEPLOYMENTS} GitHub Deployments`,
    hint: `name the commit to go back to: \`/s2i rollback ${environment} <sha>\``,
  };
}

async function configAt(octokit: GitHubClient, subject: CommandSubject, sha: string): Promise<{ ok: true; config: RepoConfig } | { ok: false; problem: string; hint: string }> {
  const loaded = await loadConfig(octokit, { ...subject, commit: { sha } });
  if (loaded.status === 'ok') return { ok: true, config: loaded.config };
  const why = loaded.status === 'missing' ? 'has no .github/s2i.yml' : loaded.status === 'invalid' ? 'has an invalid .github/s2i.yml' : 'could not be read';
  return { ok: false, problem: `commit ${sha.slice(0, 7)} ${why}, so its manifests cannot be rendered again`, hint: 'roll back to a commit with a valid .github/s2i.yml' };
}

/** The image the environment's Deployment runs now, as the config repo has it (by the subject's config). */
async function currentImage(deps: BotDependencies, octokit: GitHubClient, subject: CommandSubject, environment: string, log: Logger): Promise<string | undefined> {
  const config = await configAt(octokit, subject, subject.commit.sha);
  if (!config.ok) return undefined;
  const path = `${renderGitopsPath(config.config, environment)}/${DEPLOYMENT_FILE}`;
  const text = await configRepoFor(deps, octokit, config.config.gitops, log).readFile(path);
  return text === undefined ? undefined : deployedSource(text, config.config.deploy.name)?.image;
}

async function digestOf(deps: BotDependencies, reference: string): Promise<string | undefined> {
  // A pinned reference names its registry before the digest.
  const auth = await registryAuth(parseImageReference(reference.split('@')[0]).registry, deps.env).catch(() => undefined);
  return deps.engine.registryDigest(reference, auth).catch(() => undefined);
}

function pushResult(image: string, sha: string, digest: string): PushResult {
  return { registry: parseImageReference(image).registry, reference: `${image}:${sha}`, digest, pinned: `${image}@${digest}` };
}
