import { mkdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { environmentForBranch, renderGitopsPath } from '../config/load-repo-config.js';
import { CONFIG_PATH } from '../config/read-repo-config.js';
import type { RepoConfig } from '../config/schema.js';
import { renderInputFor } from '../render/render-input.js';
import { renderManifests, type RenderedFile } from '../render/render-manifests.js';
import { readLocalConfig } from './deploy-command.js';
import { describeLocalSource } from './local-source.js';
import { UsageError, type Output } from './output.js';

export const RENDER_USAGE = `Usage: s2i-bot render <dir> [options]

Prints the manifests the ${CONFIG_PATH} of <dir> would commit to the config repo, without building: each file
after a "--- <path>" line. Nothing is built, pushed or committed.

Options:
  --config FILE          the app's config (default: <dir>/${CONFIG_PATH})
  --environment ENV      render for ENV (default: the environment the checkout's branch maps to)
  --image-digest DIGEST  pin the image to this sha256:<64 hex> digest (default: a fake all-zero digest;
                         a build sets the real one)
  --repo OWNER/NAME      the app's name in the manifests' header (default: local/<dir name>)
  --sha SHA              the commit named in the manifests (default: HEAD of <dir>'s checkout)
  --out DIR              write the files under DIR (at their config-repo paths) instead of printing them

Exit status: 0 rendered, 1 the config or the manifests are invalid, 2 wrong command line.
`;

/** Stands in for the digest of an image that has not been built: no registry serves it. */
export const PLACEHOLDER_DIGEST = `sha256:${'0'.repeat(64)}`;
const PLACEHOLDER_SHA = '0'.repeat(40);

export interface RenderCommandResult {
  environment: string;
  /** The config-repo directory the files belong to. */
  path: string;
  /** The image as the Deployment pins it. */
  image: string;
  files: RenderedFile[];
  /** Local paths written with `--out`; undefined when the files were printed. */
  written?: string[];
}

/**
 * `s2i-bot render`: the manifests one environment of a config produces, rendered and validated exactly as a
 * deploy would, printed to `print` (stdout) or written under `--out`. Warnings go to `out`.
 */
export async function renderCommand(argv: string[], out: Output, print: (text: string) => void): Promise<RenderCommandResult> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      environment: { type: 'string' },
      'image-digest': { type: 'string' },
      repo: { type: 'string' },
      sha: { type: 'string' },
      out: { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw new UsageError('give exactly one app directory', RENDER_USAGE);
  const dir = positionals[0];
  if (!(await stat(dir).then((stats) => stats.isDirectory(), () => false))) throw new UsageError(`${dir} is not a directory`, RENDER_USAGE);
  const repo = values.repo ?? `local/${basename(join(process.cwd(), dir))}`;
  if (!/^[\w.-]+\/[\w.-]+$/.test(repo)) throw new UsageError(`--repo must be OWNER/NAME, got "${repo}"`, RENDER_USAGE);
  const digest = values['image-digest'];
  if (digest !== undefined && !/^sha256:[0-9a-f]{64}$/.test(digest)) throw new UsageError(`--image-digest must be sha256:<64 hex digits>, got "${digest}"`, RENDER_USAGE);
  if (values.sha !== undefined && !/^[0-9a-f]{40}$/.test(values.sha)) throw new UsageError(`--sha must be a 40-hex commit SHA, got "${values.sha}"`, RENDER_USAGE);

  const local = await describeLocalSource(dir);
  const branch = local.commit?.ref ?? 'main';
  const configPath = values.config ?? join(dir, CONFIG_PATH);
  const config = await readLocalConfig(configPath, { dir, repo, branch, usage: RENDER_USAGE, out });
  const environment = chooseEnvironment(config, values.environment, branch, configPath);

  let sha = values.sha ?? local.commit?.sha;
  if (sha === undefined) {
    out.warn(`${dir} is not in a git checkout: the manifests name the commit ${PLACEHOLDER_SHA}; give --sha to name the real one`);
    sha = PLACEHOLDER_SHA;
  }
  if (digest === undefined) {
    out.warn(`the image is pinned to the fake digest ${PLACEHOLDER_DIGEST}: a build sets the real one (give --image-digest to pin a pushed image)`);
  }
  const image = `${config.image}@${digest ?? PLACEHOLDER_DIGEST}`;
  const path = renderGitopsPath(config, environment);
  const { files } = renderManifests(renderInputFor(config, { environment, path, image, repo, sha, sourceLocation: local.location }));

  if (values.out === undefined) {
    for (const file of files) print(`--- ${file.path}\n${file.content.endsWith('\n') ? file.content : `${file.content}\n`}`);
    return { environment, path, image, files };
  }
  const written: string[] = [];
  for (const file of files) {
    // renderManifests only returns relative paths inside `path`, which has no `..`: nothing lands outside --out.
    const target = join(values.out, ...file.path.split('/'));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.content);
    written.push(target);
  }
  out.result(`Wrote ${written.length} files for ${environment} under ${join(values.out, ...path.split('/'))}`);
  return { environment, path, image, files, written };
}

/** `--environment` when the config deploys to it, else the environment the checkout's branch maps to. */
function chooseEnvironment(config: RepoConfig, requested: string | undefined, branch: string, configPath: string): string {
  const known = [...new Set(Object.values(config.branches).map((entry) => entry.environment))];
  if (requested !== undefined) {
    if (known.includes(requested)) return requested;
    throw new UsageError(`${configPath} deploys to no environment "${requested}"; its branches map to: ${known.join(', ')}`, RENDER_USAGE);
  }
  const mapped = environmentForBranch(config, branch)?.environment;
  if (mapped === undefined) throw new UsageError(`branch "${branch}" maps to no environment in ${configPath}; give --environment (one of: ${known.join(', ')})`, RENDER_USAGE);
  return mapped;
}
