import { fieldPath, type FieldPath } from '../render/validate-manifest.js';

/** One place where a manifest reaches into the node it runs on. */
export interface HostAccess {
  /** The field, e.g. `spec.template.spec.volumes[0].hostPath`. */
  field: string;
  /** What it grants, e.g. `a hostPath volume of /var/run/docker.sock`. */
  what: string;
}

const HOST_NAMESPACES: Record<string, string> = {
  hostNetwork: "the node's network",
  hostPID: "the node's processes",
  hostIPC: "the node's shared memory",
};

/**
 * Every field of an object that gives its pods access to the node: `hostPath` volumes, host namespaces, host ports,
 * privileged containers, privilege escalation and added capabilities. The whole object is searched, not only the
 * places a Deployment has them, so a pod template embedded in any kind an operator allows (a StatefulSet, a Job, a
 * custom resource) is found too. Each field is judged by its type (a `hostPath` must be a mapping, `privileged` the
 * boolean true), so strings that merely spell these names, as in a ConfigMap's data, are not taken for them.
 */
export function findHostAccess(object: unknown): HostAccess[] {
  const found: HostAccess[] = [];
  visit(object, [], found);
  return found;
}

function visit(value: unknown, path: FieldPath, found: HostAccess[]): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => visit(item, [...path, index], found));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const at = [...path, key];
    const what = describe(key, child);
    if (what !== undefined) found.push({ field: fieldPath(at), what });
    visit(child, at, found);
  }
}

function describe(key: string, value: unknown): string | undefined {
  switch (key) {
    case 'hostPath':
      if (value === null || typeof value !== 'object') return undefined;
      return `a hostPath volume${typeof (value as { path?: unknown }).path === 'string' ? ` of ${(value as { path: string }).path}` : ''}`;
    case 'hostNetwork':
    case 'hostPID':
    case 'hostIPC':
      return value === true ? `${key}: true (${HOST_NAMESPACES[key]})` : undefined;
    case 'hostPort':
      // An int32 in every API that has it; 0 means none.
      return typeof value === 'number' && value !== 0 ? `hostPort ${value} (a port on the node)` : undefined;
    case 'privileged':
      return value === true ? 'a privileged container' : undefined;
    case 'allowPrivilegeEscalation':
      return value === true ? 'allowPrivilegeEscalation: true' : undefined;
    case 'capabilities': {
      const added = (value as { add?: unknown } | null)?.add;
      return Array.isArray(added) && added.length > 0 ? `added capabilities (${added.map(String).join(', ')})` : undefined;
    }
    default:
      return undefined;
  }
}
