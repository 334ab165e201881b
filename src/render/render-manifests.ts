import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'yaml';
import { ImageReferenceError, parseImageReference } from '../registry/image-reference.js';
import { canonicalOrder, toCanonicalYaml } from './canonical-yaml.js';
import { dns1123Label, show } from './kubernetes-rules.js';
import { buildManifestView } from './manifest-view.js';
import { compileManifestTemplate, type ManifestTemplate } from './manifest-template.js';
import { parseManifest } from './parse-manifest.js';
import { defaultTemplatesDir } from './templates-dir.js';
import { KUSTOMIZATION_FILE, validateManifest, validateManifestSet, type ManifestObject } from './validate-manifest.js';

/** What one environment's manifests are rendered from: the deploy section of `.github/s2i.yml` and the build. */
export interface RenderInput {
  /** The app name, a DNS-1123 label: names the Deployment, its container and the Service. */
  name: string;
  /** The namespace every object goes to. */
  namespace: string;
  /** The environment the branch maps to; part of the `app.kubernetes.io/instance` label. */
  environment: string;
  /** The directory in the config repo the files go to, relative, e.g. `apps/hello/production`. */
  path: string;
  /** The built image pinned by digest, `repository@sha256:<64 hex>`; anything else is refused. */
  image: string;
  replicas: number;
  /** The container port (named `http`). */
  port: number;
  service: { type: 'ClusterIP' | 'NodePort' | 'LoadBalancer'; port: number; nodePort?: number };
  /** An HTTP GET readiness probe; the timing fields are written only when given. */
  readinessProbe?: { path: string; port: number; initialDelaySeconds?: number; timeoutSeconds?: number; periodSeconds?: number };
  /** Plain environment variables of the container; written sorted by name. */
  env: Record<string, string>;
  /** Variables taken from Kubernetes Secrets (`valueFrom.secretKeyRef`); written sorted by name after `env`. */
  secretEnv: Record<string, { secret: string; key: string }>;
  resources?: { requests?: { cpu?: string; memory?: string }; limits?: { cpu?: string; memory?: string } };
  /** The commit the image was built from, named in every file's header and the Deployment's annotations. */
  source: { repo: string; sha: string; url?: string };
}

export interface RenderedFile {
  /** Path in the config repo: `<input.path>/<file name>`. */
  path: string;
  content: string;
}

/** The identity of one rendered object. A Kustomization without metadata is named after its file (`kustomization`). */
export interface RenderedObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

export interface RenderedManifests {
  /** One file per template, sorted by file name. */
  files: RenderedFile[];
  /** The object of each file, in the order of `files`. */
  objects: RenderedObject[];
}

export interface RenderOptions {
  /** Kinds the templates may produce; default DEFAULT_ALLOWED_KINDS. */
  allowedKinds?: readonly string[];
  /** A directory of `<file>.yaml.hbs` templates to use instead of the bundled `templates/deploy`. */
  templatesDir?: string;
}

/** The kinds written unless the operator allows more: the app, its Service, and the kustomization tying them. */
export const DEFAULT_ALLOWED_KINDS: readonly string[] = Object.freeze(['Deployment', 'Service', 'Kustomization']);

/** Rendered files larger than this are refused: the API server stores at most about 1.5 MB per object. */
const MAX_FILE_BYTES = 1024 * 1024;

const TEMPLATE_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]*\.yaml\.hbs$/;
const REPO = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const SHA = /^[0-9a-f]{40}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** Manifests that must not be written; `problems` says what is wrong in which file and field. */
export class RenderError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`the manifests cannot be written (${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}):\n${problems.map((problem) => `- ${problem}`).join('\n')}`);
    this.name = 'RenderError';
    this.problems = problems;
  }
}

/**
 * Renders one environment's manifests: every `*.yaml.hbs` template → one YAML document each → validated
 * (Kubernetes schemas and API rules, allowed kinds, the deploy's namespace, the pinned image, files only inside
 * `input.path`) → written in canonical form under a header naming the source commit. Pure apart from reading the
 * templates: the same input gives byte-identical files. Throws RenderError listing every problem found.
 */
export function renderManifests(input: RenderInput, options: RenderOptions = {}): RenderedManifests {
  const inputProblems = checkInput(input);
  if (inputProblems.length > 0) throw new RenderError(inputProblems);
  const allowedKinds = options.allowedKinds ?? DEFAULT_ALLOWED_KINDS;
  const problems: string[] = [];

  const templates = loadTemplates(options.templatesDir ?? defaultTemplatesDir(), problems);
  const fileNames = templates.map((template) => template.fileName);
  const view = buildManifestView(input, fileNames.filter((name) => name !== KUSTOMIZATION_FILE));

  const objects: ManifestObject[] = [];
  for (const { fileName, templateName, render } of templates) {
    const file = posix.join(input.path, fileName);
    if (!file.startsWith(`${input.path}/`) || posix.dirname(file) !== input.path) {
      problems.push(`${templateName}: would write ${show(file)}, outside ${show(input.path)}`);
      continue;
    }
    let text: string;
    try {
      text = render(view);
    } catch (error) {
      problems.push(`${templateName}: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    if (Buffer.byteLength(text) > MAX_FILE_BYTES) {
      problems.push(`${file}: renders ${Buffer.byteLength(text)} bytes; a manifest may have at most ${MAX_FILE_BYTES}`);
      continue;
    }
    const parsed = parseManifest(text, file);
    problems.push(...parsed.problems);
    if (!parsed.object) continue;
    // Validate exactly what will be written: canonical order, null fields (optional settings not given) dropped.
    const object = canonicalOrder(parsed.object) as Record<string, unknown>;
    problems.push(...validateManifest(object, { file, fileName, fileNames, name: input.name, namespace: input.namespace, image: input.image, allowedKinds }));
    objects.push({ file, fileName, object });
  }
  if (problems.length === 0) problems.push(...validateManifestSet(objects));
  if (problems.length > 0) throw new RenderError(problems);

  const header = [
    `Generated by s2i-bot from ${input.source.repo}@${input.source.sha} — do not edit; changes are overwritten on the next deploy.`,
    ...(input.source.url ? [`Source: ${input.source.url}`] : []),
  ];
  return {
    files: objects.map(({ file, object }) => ({ path: file, content: writeCanonical(object, header, file) })),
    objects: objects.map(({ fileName, object }) => identify(object, fileName)),
  };
}

interface LoadedTemplate {
  fileName: string;
  templateName: string;
  render: ManifestTemplate;
}

/** Every `<file>.yaml.hbs` of the directory, sorted by name so the output never depends on directory order. */
function loadTemplates(dir: string, problems: string[]): LoadedTemplate[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    problems.push(`the templates directory cannot be read: ${(error as Error).message}`);
    return [];
  }
  const names = entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.hbs'))
    .map((entry) => entry.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (names.length === 0) problems.push('the templates directory has no <file>.yaml.hbs templates');
  const templates: LoadedTemplate[] = [];
  for (const templateName of names) {
    if (!TEMPLATE_FILE.test(templateName)) {
      problems.push(`${templateName}: template names must be <letters, digits, . _ ->.yaml.hbs`);
      continue;
    }
    try {
      const render = compileManifestTemplate(readFileSync(join(dir, templateName), 'utf8'));
      templates.push({ fileName: templateName.slice(0, -'.hbs'.length), templateName, render });
    } catch (error) {
      problems.push(`${templateName}: ${firstLines((error as Error).message)}`);
    }
  }
  return templates;
}

/** What is wrong with the input itself, before any template runs. */
function checkInput(input: RenderInput): string[] {
  const problems: string[] = [];
  const nameProblem = dns1123Label(input.name);
  if (nameProblem) problems.push(`deploy.name: ${nameProblem}`);
  const namespaceProblem = dns1123Label(input.namespace);
  if (namespaceProblem) problems.push(`deploy.namespace: ${namespaceProblem}`);
  if (input.environment === '') problems.push('environment: is empty');
  problems.push(...checkImage(input.image));
  problems.push(...checkPath(input.path));
  if (!REPO.test(input.source.repo)) problems.push(`source.repo: ${show(input.source.repo)} is not an owner/name repository`);
  if (!SHA.test(input.source.sha)) problems.push(`source.sha: ${show(input.source.sha)} is not a 40-hex commit SHA`);
  if (input.source.url !== undefined && !isHeaderUrl(input.source.url)) {
    problems.push(`source.url: ${show(input.source.url)} is not an http(s) URL of printable ASCII characters`);
  }
  return problems;
}

function checkImage(image: string): string[] {
  const at = image.indexOf('@');
  const digest = at < 0 ? '' : image.slice(at + 1);
  if (at < 0 || !DIGEST.test(digest)) {
    return [`image: ${show(image)} is not pinned by digest; s2i-bot deploys only repository@sha256:<64 hex digits>, the digest the registry returned for the push`];
  }
  try {
    const reference = parseImageReference(image.slice(0, at));
    if (reference.tag !== undefined) return [`image: ${show(image)} has a tag besides its digest; give repository@sha256:<64 hex digits>`];
  } catch (error) {
    if (error instanceof ImageReferenceError) return [`image: ${error.message}`];
    throw error;
  }
  return [];
}

/** The config-repo directory: relative, no `.` or `..` or empty segments, no backslashes or control characters. */
function checkPath(path: string): string[] {
  const segments = path.split('/');
  if (
    path === '' ||
    path.startsWith('/') ||
    [...path].some((char) => char === '\\' || char < ' ' || char === '\u007f') ||
    segments.some((segment) => segment === '' || segment === '.' || segment === '..')
  ) {
    return [`gitops.path: ${show(path)} must be a relative directory without ".", ".." or empty segments, e.g. apps/hello/production`];
  }
  return [];
}

/** The URL goes into a comment line, so it must not be able to end that line. */
function isHeaderUrl(url: string): boolean {
  if (!/^[\x21-\x7e]+$/.test(url)) return false;
  try {
    return ['http:', 'https:'].includes(new URL(url).protocol);
  } catch {
    return false;
  }
}

/**
 * The canonical text of one object, and a check that it reads back as exactly that object: the writer is ours
 * (see canonical-yaml.ts), and a value that changed on the way must never reach the cluster.
 */
function writeCanonical(object: Record<string, unknown>, header: readonly string[], file: string): string {
  const content = toCanonicalYaml(object, header);
  if (!isDeepStrictEqual(parse(content, { version: '1.2', schema: 'core' }), object)) {
    throw new RenderError([`${file}: the written YAML does not read back as the rendered object; this is a bug in s2i-bot`]);
  }
  return content;
}

function identify(object: Record<string, unknown>, fileName: string): RenderedObject {
  const metadata = (object.metadata ?? {}) as { name?: unknown; namespace?: unknown };
  const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : typeof object.namespace === 'string' ? object.namespace : undefined;
  return {
    apiVersion: String(object.apiVersion),
    kind: String(object.kind),
    metadata: {
      name: typeof metadata.name === 'string' ? metadata.name : fileName.replace(/\.yaml$/, ''),
      ...(namespace !== undefined ? { namespace } : {}),
    },
  };
}

function firstLines(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}
