import type { RenderInput } from './render-manifests.js';

/**
 * Labels on every object s2i-bot writes (Deployment, its pods, Service). The selector uses only `name` and
 * `instance`: a Deployment's selector is immutable, so it must never carry anything that changes between deploys.
 */
export const LABELS = {
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  managedBy: 'app.kubernetes.io/managed-by',
} as const;

/** The value of `app.kubernetes.io/managed-by`. */
export const MANAGER = 's2i-bot';

/**
 * Annotations on the Deployment naming the commit it runs. They sit on the Deployment, not its pod template, so a
 * new commit that yields the same image digest does not restart the pods.
 */
export const ANNOTATIONS = {
  sourceRepo: 's2i-bot.io/source-repo',
  sourceCommit: 's2i-bot.io/source-commit',
  sourceUrl: 's2i-bot.io/source-url',
} as const;

/**
 * What a deploy template sees. Operators who write their own templates rely on these names, so they are a
 * contract: add fields, do not rename them. Absent optional values are `null` (Handlebars strict mode refuses
 * missing names); a `null` field in the rendered YAML is dropped from the output.
 */
export interface ManifestView {
  /** The app name (DNS-1123 label): names the Deployment, its container and the Service. */
  name: string;
  namespace: string;
  environment: string;
  /** The built image pinned by digest, `repository@sha256:<64 hex>`. */
  image: string;
  replicas: number;
  /** The container port, named `http`. */
  port: number;
  /** Every label of every object: name, instance (`<name>-<environment>`) and managed-by. */
  labels: Record<string, string>;
  /** The Deployment's and the Service's selector: the name and instance labels only. */
  selectorLabels: Record<string, string>;
  /** The Deployment's annotations: source repository, commit and (when known) URL. */
  annotations: Record<string, string>;
  service: { type: string; port: number; nodePort: number | null };
  readinessProbe: {
    path: string;
    port: number;
    initialDelaySeconds: number | null;
    timeoutSeconds: number | null;
    periodSeconds: number | null;
  } | null;
  /** Plain variables sorted by name. */
  env: Array<{ name: string; value: string }>;
  /** Variables from Secrets, sorted by name; they come after the plain ones. */
  secretEnv: Array<{ name: string; secret: string; key: string }>;
  /** Whether `env` or `secretEnv` has an entry, so a template can leave out an empty `env:`. */
  hasEnv: boolean;
  /** Requests and limits with only the quantities given; null when none are. */
  resources: { requests?: Record<string, string>; limits?: Record<string, string> } | null;
  source: { repo: string; sha: string; url: string | null };
  /** The names of the other rendered files, sorted: what kustomization.yaml lists. */
  resourceFiles: string[];
}

/** The view the templates render, from the deploy input and the names of the files being rendered. */
export function buildManifestView(input: RenderInput, resourceFiles: readonly string[]): ManifestView {
  const selectorLabels = { [LABELS.name]: input.name, [LABELS.instance]: `${input.name}-${input.environment}` };
  const annotations: Record<string, string> = {
    [ANNOTATIONS.sourceRepo]: input.source.repo,
    [ANNOTATIONS.sourceCommit]: input.source.sha,
  };
  if (input.source.url) annotations[ANNOTATIONS.sourceUrl] = input.source.url;
  const env = sortByName(Object.entries(input.env).map(([name, value]) => ({ name, value })));
  const secretEnv = sortByName(Object.entries(input.secretEnv).map(([name, ref]) => ({ name, secret: ref.secret, key: ref.key })));
  const probe = input.readinessProbe;
  return {
    name: input.name,
    namespace: input.namespace,
    environment: input.environment,
    image: input.image,
    replicas: input.replicas,
    port: input.port,
    labels: { ...selectorLabels, [LABELS.managedBy]: MANAGER },
    selectorLabels,
    annotations,
    service: { type: input.service.type, port: input.service.port, nodePort: input.service.nodePort ?? null },
    readinessProbe: probe
      ? {
          path: probe.path,
          port: probe.port,
          initialDelaySeconds: probe.initialDelaySeconds ?? null,
          timeoutSeconds: probe.timeoutSeconds ?? null,
          periodSeconds: probe.periodSeconds ?? null,
        }
      : null,
    env,
    secretEnv,
    hasEnv: env.length + secretEnv.length > 0,
    resources: resourcesView(input.resources),
    source: { repo: input.source.repo, sha: input.source.sha, url: input.source.url ?? null },
    resourceFiles: [...resourceFiles],
  };
}

function resourcesView(resources: RenderInput['resources']): ManifestView['resources'] {
  const view: NonNullable<ManifestView['resources']> = {};
  for (const group of ['requests', 'limits'] as const) {
    const given = Object.entries(resources?.[group] ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined);
    if (given.length > 0) view[group] = Object.fromEntries(given);
  }
  return Object.keys(view).length > 0 ? view : null;
}

/** Sorted by UTF-16 code units, so the order never depends on how the config listed them or on the locale. */
function sortByName<T extends { name: string }>(entries: T[]): T[] {
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
