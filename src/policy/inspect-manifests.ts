import { parseManifest } from '../render/parse-manifest.js';
import { DEFAULT_ALLOWED_KINDS } from '../render/render-manifests.js';
import { findHostAccess, type HostAccess } from './find-host-access.js';

/** A file about to be written into the config repo, with its exact text. */
export interface ManifestFile {
  path: string;
  content: string;
}

/** What the policy needs to know about the objects a deploy writes. */
export interface InspectedManifests {
  /** Why the files must not be written whatever the grant says (a kind the operator does not allow, no namespace). */
  problems: string[];
  /** Every namespace an object names (a Kustomization's `namespace` included): each must be granted. */
  namespaces: string[];
  /** Every place an object reaches into the node, each prefixed with its file: only `allowHost` grants these. */
  hostAccess: Array<HostAccess & { file: string }>;
}

/**
 * Reads the files exactly as they will be committed and judges the objects in them, not the templates they came
 * from: only kinds the operator allows, every object in a namespace (cluster-scoped objects cannot be granted), and
 * the fields that give pods access to their node. A file that does not parse as one object is a problem too.
 */
export function inspectManifests(files: readonly ManifestFile[], allowedKinds: readonly string[] = DEFAULT_ALLOWED_KINDS): InspectedManifests {
  const problems: string[] = [];
  const namespaces = new Set<string>();
  const hostAccess: InspectedManifests['hostAccess'] = [];
  for (const file of files) {
    const parsed = parseManifest(file.content, file.path);
    problems.push(...parsed.problems);
    const object = parsed.object;
    if (!object) continue;
    const kind = object.kind;
    if (typeof kind !== 'string' || !allowedKinds.includes(kind)) {
      problems.push(`${file.path}: kind ${JSON.stringify(kind ?? null)} is not allowed (allowed kinds: ${allowedKinds.join(', ')})`);
      continue;
    }
    const namespace = namespaceOf(object);
    if (namespace === undefined) problems.push(`${file.path}: the ${kind} names no namespace; every object written must be in a namespace the policy grants`);
    else namespaces.add(namespace);
    hostAccess.push(...findHostAccess(object).map((access) => ({ ...access, file: file.path })));
  }
  return { problems, namespaces: [...namespaces], hostAccess };
}

/** `metadata.namespace`, or a Kustomization's `namespace`, which it sets on everything it applies. */
function namespaceOf(object: Record<string, unknown>): string | undefined {
  const metadata = object.metadata as { namespace?: unknown } | undefined;
  const namespace = object.kind === 'Kustomization' ? object.namespace : metadata?.namespace;
  return typeof namespace === 'string' && namespace !== '' ? namespace : undefined;
}
