import { z } from 'zod';

const REPO_TEXT = 'expected a repository as owner/name, or owner/* for every repository of an owner';
const GLOB_TEXT = 'expected a glob relative to the config repo root, such as apps/hello/** (no leading "/", no "..", no "!")';
const NAMESPACE_TEXT = 'expected a namespace name: at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit';

function says(text: string): { error: string } {
  return { error: text };
}

/**
 * A glob that can match a safe path. A leading `!` is refused: in a grant it would mean "everything except", the
 * opposite of what a reader of the policy expects.
 */
function isPathGlob(value: string): boolean {
  return (
    value !== '' &&
    !value.startsWith('/') &&
    !value.startsWith('!') &&
    !value.includes('\\') &&
    !/\p{Cc}/u.test(value) &&
    !value.split('/').includes('..')
  );
}

const Grant = z.strictObject(
  {
    /** App repository granted, `owner/name`, or `owner/*` for all of an owner's repositories; compared case-insensitively. */
    repo: z.string(says(REPO_TEXT)).regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/(?:\*|[A-Za-z0-9._-]{1,100})$/, says(REPO_TEXT)),
    /** Globs of the config-repo files it may write, e.g. `apps/hello/**`; `*` stays within a directory, `**` crosses them. */
    paths: z
      .array(z.string(says(GLOB_TEXT)).refine(isPathGlob, says(GLOB_TEXT)), says('expected a list of globs, such as ["apps/hello/**"]'))
      .min(1, says('expected at least one glob, such as ["apps/hello/**"]')),
    /** Namespaces its manifests may target. */
    namespaces: z
      .array(
        z
          .string(says(NAMESPACE_TEXT))
          .max(63, says(NAMESPACE_TEXT))
          .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, says(NAMESPACE_TEXT)),
        says('expected a list of namespaces, such as [demo]'),
      )
      .min(1, says('expected at least one namespace, such as [demo]')),
    /**
     * Lets the repo's manifests reach into the node: `hostPath` volumes, `hostNetwork`, `hostPID`, `hostIPC`,
     * `hostPort`, `privileged` containers, `allowPrivilegeEscalation: true` and added capabilities. Default false:
     * an app that can push to its repo must not thereby get root on the cluster's nodes.
     */
    allowHost: z.boolean(says('expected true or false')).default(false),
  },
  says('expected a mapping { repo: owner/name, paths: [...], namespaces: [...], allowHost: false }'),
);

/**
 * The config repo's `.github/s2i-policy.yml`: which app repositories may write which files and target which
 * namespaces. A deploy is granted only when one entry covers all of its files and namespaces.
 */
export const Policy = z.strictObject(
  {
    /** The grants; an empty list grants nothing. */
    allow: z.array(Grant, says('expected a list of grants: - { repo: owner/name, paths: [...], namespaces: [...] }')),
  },
  says('expected a mapping with an allow list'),
);

export type Policy = z.infer<typeof Policy>;
