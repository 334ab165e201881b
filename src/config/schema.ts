import { z } from 'zod';
import { ImageReferenceError, parseImageReference, parsePullReference } from '../registry/image-reference.js';
import { checkRuntimeArtifact, parseRuntimeArtifact, RuntimeArtifactError, type RuntimeArtifact } from '../build/runtime-image.js';
import { expandGitopsPath } from './expand-gitops-path.js';
import { ExtendsTargetError, parseExtendsTarget } from './parse-extends-target.js';
import { MAX_BRANCH_ENTRIES } from '../security/input-limits.js';

/** Where manifests go in the config repo unless `gitops.path` says otherwise. */
export const DEFAULT_GITOPS_PATH = 'apps/{{name}}/{{environment}}';

/** A Kubernetes DNS-1123 label (names of Deployments, Services, namespaces); also the shape of environment names. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
const GITHUB_REPO = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/;
/** Kubernetes resource quantities: a non-negative decimal with an optional SI, binary-SI or exponent suffix. */
const QUANTITY = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/;

const QUANTITY_FACTORS: Record<string, number> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

const EXTENDS_TEXT = 'expected the repo to inherit settings from: repo, owner/repo or owner/repo:path/to/file.yml';

const LABEL_TEXT = 'at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit';

/** The schema's "expected ..." text, used for every issue a field can raise so each message reads the same way. */
function says(text: string): { error: string } {
  return { error: text };
}

function integer(min: number, max: number | undefined, text: string) {
  const atLeast = z.int(says(text)).min(min, says(text));
  return max === undefined ? atLeast : atLeast.max(max, says(text));
}

function dnsLabel(text: string) {
  return z.string(says(text)).max(63, says(text)).regex(DNS_LABEL, says(text));
}

/**
 * A string, or a YAML number or boolean taken as the text it stands for: `PORT: 8080` and `cpu: 0.5` are what
 * people write. The loader substitutes the text exactly as written in the file (`1.10` stays "1.10"); values
 * from an `_extends` base arrive already parsed and are converted with `String()`.
 */
function text(message: string) {
  return z.union([z.string(), z.number(), z.boolean()], says(message)).transform(String);
}

function quantity(kind: 'cpu' | 'memory') {
  const message = kind === 'cpu' ? 'expected a CPU quantity such as 100m, 0.5 or 2' : 'expected a memory quantity such as 128Mi, 1Gi or 500M';
  return text(message).pipe(z.string().regex(QUANTITY, says(message)));
}

/** A quantity's value in base units, for comparing a request with its limit. */
function quantityValue(value: string): number {
  const match = /^([\d.]+)(.*)$/.exec(value) as RegExpExecArray;
  const suffix = match[2];
  const factor = /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : QUANTITY_FACTORS[suffix];
  return Number(match[1]) * factor;
}

function imageProblem(value: string): string | undefined {
  if (value.includes('@')) return 'expected an image repository without a digest (each build is tagged with its commit sha)';
  try {
    const reference = parseImageReference(value);
    if (reference.tag !== undefined) return 'expected an image repository without a tag (each build is tagged with its commit sha)';
    return undefined;
  } catch (error) {
    if (error instanceof ImageReferenceError) return 'expected an image repository such as registry.example.com/acme/hello';
    throw error;
  }
}

function isPullReference(value: string): boolean {
  try {
    parsePullReference(value);
    return true;
  } catch (error) {
    if (error instanceof ImageReferenceError) return false;
    throw error;
  }
}

function isExtendsTarget(value: string): boolean {
  try {
    parseExtendsTarget(value, 'owner');
    return true;
  } catch (error) {
    if (error instanceof ExtendsTargetError) return false;
    throw error;
  }
}

/** git check-ref-format's rules for a branch name, which GitHub enforces too. */
function isBranchName(value: string): boolean {
  return (
    value !== '' &&
    value !== '@' &&
    !value.startsWith('-') &&
    !value.startsWith('/') &&
    !value.endsWith('/') &&
    !value.endsWith('.') &&
    !value.endsWith('.lock') &&
    !value.includes('..') &&
    !value.includes('//') &&
    !value.includes('@{') &&
    !value.split('/').some((part) => part.startsWith('.')) &&
    !/[\p{Cc} ~^:?*[\\]/u.test(value)
  );
}

function isRelativeDirectory(value: string): boolean {
  return (
    value !== '' &&
    !value.startsWith('/') &&
    !/^[A-Za-z]:/.test(value) &&
    !value.includes('\\') &&
    !/\p{Cc}/u.test(value) &&
    !value.split('/').includes('..')
  );
}

const ENV_NAME_TEXT = 'expected an environment variable name (letters, digits and "_", not starting with a digit)';
const envName = z.string(says(ENV_NAME_TEXT)).regex(ENV_NAME, says(ENV_NAME_TEXT));
const ENVIRONMENT_TEXT = `expected an environment name: ${LABEL_TEXT}`;
const PORT_TEXT = 'expected a port number from 1 to 65535';
const port = integer(1, 65535, PORT_TEXT);

const SECRET_TEXT = 'expected a Secret name: lowercase letters, digits, "-" and ".", at most 253';
const SECRET_KEY_TEXT = 'expected a key of the Secret: letters, digits, "-", "_" and ".", at most 253';

const SecretRef = z.strictObject(
  {
    /** Name of the Kubernetes Secret in the Deployment's namespace (a DNS-1123 subdomain). */
    secret: z.string(says(SECRET_TEXT)).max(253, says(SECRET_TEXT)).regex(DNS_SUBDOMAIN, says(SECRET_TEXT)),
    /** Key inside that Secret whose value becomes the variable. */
    key: z.string(says(SECRET_KEY_TEXT)).max(253, says(SECRET_KEY_TEXT)).regex(SECRET_KEY, says(SECRET_KEY_TEXT)),
  },
  says('expected a mapping { secret: <Secret name>, key: <key in the Secret> }'),
);

const BranchTarget = z.strictObject(
  {
    /** Environment the branch deploys to; names the config-repo directory and the GitHub Deployment environment. */
    environment: dnsLabel(ENVIRONMENT_TEXT),
  },
  says('expected a mapping { environment: <name> }'),
);

const Resources = z
  .strictObject(
    {
      /** What the scheduler reserves for the container. */
      requests: z
        .strictObject(
          {
            /** CPU quantity, e.g. `100m` or `0.5`. */
            cpu: quantity('cpu').optional(),
            /** Memory quantity, e.g. `128Mi`. */
            memory: quantity('memory').optional(),
          },
          says('expected a mapping { cpu: <quantity>, memory: <quantity> }'),
        )
        .optional(),
      /** The most the container may use. */
      limits: z
        .strictObject(
          {
            /** CPU quantity, e.g. `500m` or `1`. */
            cpu: quantity('cpu').optional(),
            /** Memory quantity, e.g. `256Mi`. */
            memory: quantity('memory').optional(),
          },
          says('expected a mapping { cpu: <quantity>, memory: <quantity> }'),
        )
        .optional(),
    },
    says('expected a mapping { requests: {...}, limits: {...} }'),
  )
  .superRefine((resources, ctx) => {
    // Kubernetes rejects a request above its limit only when Argo CD or Flux applies it, far from this commit.
    for (const kind of ['cpu', 'memory'] as const) {
      const request = resources.requests?.[kind];
      const limit = resources.limits?.[kind];
      if (request !== undefined && limit !== undefined && quantityValue(request) > quantityValue(limit)) {
        ctx.addIssue({
          code: 'custom',
          path: ['requests', kind],
          message: `${request} is more than limits.${kind} ${limit}; a request may not exceed its limit`,
          params: { got: false },
        });
      }
    }
  });

const Service = z
  .strictObject(
    {
      /** How the Service is exposed. */
      type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer'], says('expected ClusterIP, NodePort or LoadBalancer')).default('ClusterIP'),
      /** Port the Service listens on; defaults to `deploy.port`. */
      port: port.optional(),
      /** Fixed node port for NodePort and LoadBalancer Services; Kubernetes picks one when absent. */
      nodePort: integer(30000, 32767, 'expected a port number from 30000 to 32767 (the NodePort range)').optional(),
    },
    says('expected a mapping such as { type: NodePort, port: 8080 }'),
  )
  .superRefine((service, ctx) => {
    if (service.nodePort !== undefined && service.type === 'ClusterIP') {
      ctx.addIssue({
        code: 'custom',
        path: ['nodePort'],
        message: 'only allowed with type NodePort or LoadBalancer; set the type or remove nodePort',
        params: { got: false },
      });
    }
  });

const ReadinessProbe = z.strictObject(
  {
    /** HTTP path probed with GET; must start with `/`. */
    path: z.string(says('expected an HTTP path starting with "/"')).startsWith('/', says('expected an HTTP path starting with "/"')),
    /** Port probed; defaults to `deploy.port`. */
    port: port.optional(),
    /** Seconds after the container starts before the first probe. */
    initialDelaySeconds: integer(0, undefined, 'expected a whole number of seconds ≥ 0').optional(),
    /** Seconds after which a probe counts as failed. */
    timeoutSeconds: integer(1, undefined, 'expected a whole number of seconds ≥ 1').optional(),
    /** Seconds between probes. */
    periodSeconds: integer(1, undefined, 'expected a whole number of seconds ≥ 1').optional(),
  },
  says('expected a mapping such as { path: /, port: 8080 }'),
);

const Deploy = z
  .strictObject(
    {
      /** Name of the Deployment and Service; the loader defaults it to the repository name made DNS-safe. */
      name: dnsLabel(`expected a DNS-1123 label: ${LABEL_TEXT}`),
      /** Namespace the manifests target; the config repo's policy must grant it. */
      namespace: dnsLabel(`expected a namespace name: ${LABEL_TEXT}`).default('default'),
      /** Number of pods. */
      replicas: integer(0, undefined, 'expected an integer ≥ 0').default(1),
      /** The container's port (`containerPort`). */
      port: port.default(8080),
      /** The Service in front of the pods. */
      service: Service.prefault({}),
      /** HTTP readiness probe; none unless given. */
      readinessProbe: ReadinessProbe.optional(),
      /** Container resource requests and limits; none unless given. */
      resources: Resources.optional(),
    },
    says('expected a mapping with the Deployment settings (name, namespace, replicas, port, service, ...)'),
  )
  // Ports that follow deploy.port are filled here so every consumer sees the same, complete values.
  .transform(({ service, readinessProbe, resources, ...deploy }) => ({
    ...deploy,
    service: { ...service, port: service.port ?? deploy.port },
    ...(readinessProbe ? { readinessProbe: { ...readinessProbe, port: readinessProbe.port ?? deploy.port } } : {}),
    ...(resources ? { resources } : {}),
  }));

const CONFIG_REPO_TEXT = 'expected the config repo as owner/name, such as acme/cluster-config';
const BRANCH_TEXT = 'expected a branch name of the config repo';
const BUILDER_TEXT = 'expected an S2I builder image reference such as registry.example.com/s2i/nodejs:20';

const Gitops = z.strictObject(
  {
    /** Config repo as `owner/name`, reachable by the same installation of the app. Nothing deploys without it. */
    repo: z
      .string(says(CONFIG_REPO_TEXT))
      .regex(GITHUB_REPO, says(CONFIG_REPO_TEXT))
      .refine((value) => !/\/\.{1,2}$/.test(value), says(CONFIG_REPO_TEXT)),
    /** Branch of the config repo to write to; its default branch when absent. */
    branch: z.string(says(BRANCH_TEXT)).refine(isBranchName, says(BRANCH_TEXT)).optional(),
    /**
     * Directory of the manifests in the config repo. `{{name}}` (deploy.name) and `{{environment}}` are the only
     * placeholders; the result must stay inside the repo.
     */
    path: z
      .string(says(`expected a directory such as ${DEFAULT_GITOPS_PATH}`))
      .superRefine((value, ctx) => {
        const expanded = expandGitopsPath(value, { name: 'name', environment: 'environment' });
        if (!expanded.ok) ctx.addIssue({ code: 'custom', message: expanded.problem, input: value });
      })
      .default(DEFAULT_GITOPS_PATH),
    /** `commit` writes to the branch directly; `pull-request` opens a pull request for someone to merge. */
    mode: z.enum(['commit', 'pull-request'], says('expected commit or pull-request')).default('commit'),
  },
  says('expected a mapping with at least repo: <owner/name of the config repo>'),
);

const RUNTIME_IMAGE_TEXT = 'expected a runtime image reference such as registry.example.com/acme/runtime:1';
const RUNTIME_ARTIFACT_TEXT = 'expected /absolute/source[:relative/destination] or { source: /absolute/path, destination: relative/dir }';

/** One runtime artifact, in s2i's `source[:destination]` form or as a mapping; checked as s2i checks them. */
const RuntimeArtifactEntry = z
  .union([z.string(), z.strictObject({ source: z.string(), destination: z.string().default('.') })], says(RUNTIME_ARTIFACT_TEXT))
  .transform((value, ctx): RuntimeArtifact => {
    try {
      if (typeof value === 'string') return parseRuntimeArtifact(value);
      checkRuntimeArtifact(value);
      return value;
    } catch (error) {
      if (!(error instanceof RuntimeArtifactError)) throw error;
      ctx.addIssue({ code: 'custom', message: error.message, input: value });
      return z.NEVER;
    }
  });

/** The app repo's `.github/s2i.yml`. Every mapping is strict: an unknown key is an error, so typos cannot pass. */
export const RepoConfig = z
  .strictObject(
    {
      /** Probot's organisation-wide defaults: `repo`, `owner/repo` or `owner/repo:path.yml`; merged by the loader. */
      _extends: z.string(says(EXTENDS_TEXT)).refine(isExtendsTarget, says(EXTENDS_TEXT)).optional(),
      /** S2I builder image reference (tag or digest allowed), e.g. `registry.example.com/s2i/nodejs:20`. */
      builder: z.string(says(BUILDER_TEXT)).refine(isPullReference, says(BUILDER_TEXT)),
      /** Image repository pushed to, without tag or digest: each build is tagged with its 40-hex commit sha. */
      image: z.string(says('expected an image repository such as registry.example.com/acme/hello')).superRefine((value, ctx) => {
        const problem = imageProblem(value);
        if (problem) ctx.addIssue({ code: 'custom', message: problem, input: value });
      }),
      /** Source subdirectory the build starts from, relative to the repo root; normalised (`./web/` becomes `web`). */
      contextDir: z
        .string(says('expected a directory relative to the repository root, such as . or services/web'))
        .refine(isRelativeDirectory, says('expected a directory relative to the repository root without "..", such as . or services/web'))
        .transform((value) => value.split('/').filter((part) => part !== '' && part !== '.').join('/') || '.')
        .default('.'),
      /** Build and runtime environment variables; numbers and booleans are taken as the text written. */
      env: z
        .record(
          envName,
          // A NUL cannot be in a process environment: the build and the pod would fail far from this file.
          text('expected a text value (numbers and true/false are taken as written)').pipe(z.string().refine((value) => !value.includes('\u0000'), says('expected a value without NUL characters, which no process environment can hold'))),
          says('expected a mapping of NAME: value'),
        )
        .default({}),
      /** Runtime-only variables read from Kubernetes Secrets; the values never reach git. */
      secretEnv: z.record(envName, SecretRef, says('expected a mapping of NAME: { secret: <Secret name>, key: <key> }')).default({}),
      /** Reuse the previous image's `save-artifacts` output. */
      incremental: z.boolean(says('expected true or false')).default(false),
      /**
       * Ship this image instead of the builder (s2i's runtime image): the artifacts are copied into it after
       * assemble and its `assemble-runtime` runs, so the shipped image carries no toolchain.
       */
      runtimeImage: z.string(says(RUNTIME_IMAGE_TEXT)).refine(isPullReference, says(RUNTIME_IMAGE_TEXT)).optional(),
      /**
       * What to copy into the runtime image: `/absolute/source[:relative/destination]` or `{ source, destination }`.
       * Default: the runtime image's `io.openshift.s2i.assemble-input-files` label.
       */
      runtimeArtifacts: z.array(RuntimeArtifactEntry, says('expected a list of /absolute/source[:relative/destination] entries')).min(1, says('expected at least one artifact; leave the key out to use the runtime image\'s label')).optional(),
      /**
       * Branch name or glob → environment. Exact names win over globs, then the first matching glob in file order.
       * The loader defaults it to `{ <default branch>: { environment: production } }`.
       */
      branches: z
        .record(
          z.string(says('expected a branch name or glob')).regex(/^[^\s\p{Cc}]+$/u, says('expected a branch name or glob without spaces')),
          BranchTarget,
          says('expected a mapping of branch name or glob to { environment: <name> }'),
        )
        .refine((branches) => Object.keys(branches).length <= MAX_BRANCH_ENTRIES, { error: `expected at most ${MAX_BRANCH_ENTRIES} entries; use globs such as "release/*"`, params: { got: false } }),
      /**
       * Environments deployed only on request (`/s2i deploy <environment>`, or the check's "Deploy to" button), in
       * addition to those of `branches`; e.g. `[qa]`.
       */
      environments: z
        .array(dnsLabel(ENVIRONMENT_TEXT), says('expected a list of environment names'))
        .max(20, says('expected at most 20 environments'))
        .default([]),
      /** The Deployment and Service written to the config repo. */
      deploy: Deploy,
      /** Where and how manifests are written. Required: nothing deploys without a config repo. */
      gitops: Gitops,
    },
    says('expected a mapping of s2i-bot settings (builder, image, gitops, ...)'),
  )
  .superRefine((config, ctx) => {
    if (config.runtimeArtifacts && !config.runtimeImage) {
      ctx.addIssue({ code: 'custom', path: ['runtimeArtifacts'], message: 'runtimeArtifacts needs runtimeImage: name the image they are copied into', params: { got: false } });
    }
    for (const name of Object.keys(config.secretEnv)) {
      if (Object.hasOwn(config.env, name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['secretEnv', name],
          message: 'also set in env; a variable comes either from env or from a Secret, not both',
          params: { got: false },
        });
      }
    }
  });

export type RepoConfig = z.infer<typeof RepoConfig>;
