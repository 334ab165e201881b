import { describe, expect, it } from '@jest/globals';
import { findHostAccess } from '../../src/policy/find-host-access.js';

/** A Deployment whose pod spec is `podSpec`. */
function deployment(podSpec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'hello', namespace: 'demo' }, spec: { template: { spec: podSpec } } };
}

const CONTAINER = { name: 'hello', image: 'registry.example.com/acme/hello@sha256:' + 'a'.repeat(64) };

describe('policy/find-host-access', () => {
  it.each<[string, Record<string, unknown>, Array<{ field: string; what: string }>]>([
    [
      'a hostPath volume',
      deployment({ containers: [CONTAINER], volumes: [{ name: 'sock', hostPath: { path: '/var/run/docker.sock' } }] }),
      [{ field: 'spec.template.spec.volumes[0].hostPath', what: 'a hostPath volume of /var/run/docker.sock' }],
    ],
    [
      'the host network, processes and IPC',
      deployment({ containers: [CONTAINER], hostNetwork: true, hostPID: true, hostIPC: true }),
      [
        { field: 'spec.template.spec.hostNetwork', what: "hostNetwork: true (the node's network)" },
        { field: 'spec.template.spec.hostPID', what: "hostPID: true (the node's processes)" },
        { field: 'spec.template.spec.hostIPC', what: "hostIPC: true (the node's shared memory)" },
      ],
    ],
    [
      'a host port',
      deployment({ containers: [{ ...CONTAINER, ports: [{ containerPort: 8080, hostPort: 80 }] }] }),
      [{ field: 'spec.template.spec.containers[0].ports[0].hostPort', what: 'hostPort 80 (a port on the node)' }],
    ],
    [
      'a privileged init container',
      deployment({ containers: [CONTAINER], initContainers: [{ ...CONTAINER, name: 'init', securityContext: { privileged: true } }] }),
      [{ field: 'spec.template.spec.initContainers[0].securityContext.privileged', what: 'a privileged container' }],
    ],
    [
      'privilege escalation and added capabilities',
      deployment({ containers: [{ ...CONTAINER, securityContext: { allowPrivilegeEscalation: true, capabilities: { add: ['SYS_ADMIN', 'NET_ADMIN'] } } }] }),
      [
        { field: 'spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation', what: 'allowPrivilegeEscalation: true' },
        { field: 'spec.template.spec.containers[0].securityContext.capabilities', what: 'added capabilities (SYS_ADMIN, NET_ADMIN)' },
      ],
    ],
    [
      'a pod template nested in a CronJob',
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'nightly', namespace: 'demo' },
        spec: { jobTemplate: { spec: { template: { spec: { hostNetwork: true, containers: [CONTAINER] } } } } },
      },
      [{ field: 'spec.jobTemplate.spec.template.spec.hostNetwork', what: "hostNetwork: true (the node's network)" }],
    ],
    [
      'a PersistentVolume on a node directory',
      { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'data' }, spec: { hostPath: { path: '/' } } },
      [{ field: 'spec.hostPath', what: 'a hostPath volume of /' }],
    ],
    [
      'keys that are not identifiers',
      deployment({ containers: [CONTAINER], 'odd key': [{ hostPath: {} }] }),
      [{ field: 'spec.template.spec["odd key"][0].hostPath', what: 'a hostPath volume' }],
    ],
  ])('finds %s', (_name, object, expected) => {
    const found = findHostAccess(object);

    expect(found).toEqual(expected);
  });

  it.each<[string, Record<string, unknown>]>([
    ['a plain pod', deployment({ containers: [CONTAINER] })],
    ['the safe values of each field', deployment({ containers: [{ ...CONTAINER, ports: [{ containerPort: 80, hostPort: 0 }], securityContext: { privileged: false, allowPrivilegeEscalation: false, capabilities: { add: [], drop: ['ALL'] } } }], hostNetwork: false, hostPID: false, hostIPC: false })],
    ['the names as text in a ConfigMap', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'demo' }, data: { hostPath: '/etc', hostNetwork: 'true', privileged: 'true', hostPort: '80' } }],
    ['the names in annotations', { kind: 'Service', metadata: { annotations: { hostPath: '/x', 'capabilities': 'SYS_ADMIN' } } }],
    ['an emptyDir volume', deployment({ containers: [CONTAINER], volumes: [{ name: 'tmp', emptyDir: {} }] })],
  ])('finds nothing in %s', (_name, object) => {
    const found = findHostAccess(object);

    expect(found).toEqual([]);
  });
});
