import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Service, type IService } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { parseAllDocuments } from 'yaml';
import { parseQuantity } from '../../src/render/kubernetes-rules.js';
import { loadBotSettings } from '../../src/settings/bot-settings.js';
import { loadEngineSettings } from '../../src/settings/engine-settings.js';

// The manifests an operator applies with `kubectl apply -k`, rendered by the real kustomize (kubectl's) and checked
// against the Kubernetes schemas, then against what running the bot needs.

const run = promisify(execFile);
const ROOT = process.cwd();
const DEPLOY = join(ROOT, 'deploy');
const NAMESPACE = 's2i-bot';
const NAME_LABEL = { 'app.kubernetes.io/name': 's2i-bot' };
const GITHUB_SECRET = 's2i-bot-github';

interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** Schemas of the built-in kinds the manifests use. A kind missing here fails the schema test until it is added. */
const SCHEMAS: Record<string, new (data: never) => { validate(): void }> = {
  ConfigMap,
  Deployment,
  Namespace,
  PersistentVolumeClaim,
  Service,
  ServiceAccount,
};
const CLUSTER_SCOPED = new Set(['Namespace']);

async function kustomize(dir: string): Promise<KubeObject[]> {
  const { stdout } = await run('kubectl', ['kustomize', dir], { maxBuffer: 16 * 1024 * 1024 });
  return parseAllDocuments(stdout).map((document) => document.toJS() as KubeObject);
}

/** Renders `components` (directories under deploy/) on top of `overlay`, as an operator's own overlay would. */
async function kustomizeWith(overlay: string, components: string[]): Promise<KubeObject[]> {
  const dir = await mkdtemp(join(tmpdir(), 's2i-bot-overlay-'));
  try {
    // kustomize refuses absolute paths to other kustomizations: name them relative to the new overlay.
    const path = (name: string) => relative(dir, join(DEPLOY, name));
    const lines = ['apiVersion: kustomize.config.k8s.io/v1beta1', 'kind: Kustomization', `resources: [${path(overlay)}]`, `components: [${components.map(path).join(', ')}]`];
    await writeFile(join(dir, 'kustomization.yaml'), `${lines.join('\n')}\n`);
    return await kustomize(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function only<T = KubeObject>(objects: KubeObject[], kind: string): T {
  const matching = objects.filter((object) => object.kind === kind);
  expect(matching.map((object) => `${kind}/${object.metadata.name}`)).toHaveLength(1);
  return matching[0] as unknown as T;
}

function botContainer(deployment: IDeployment) {
  const container = deployment.spec?.template.spec?.containers.find((entry) => entry.name === 's2i-bot');
  if (!container) throw new Error('the Deployment has no container named s2i-bot');
  return container;
}

/** Problems of an object kubernetes-models has no schema for: the Prometheus Operator's ServiceMonitor (a CRD). */
function serviceMonitorProblems(object: KubeObject): string[] {
  const spec = object.spec as { selector?: { matchLabels?: unknown }; endpoints?: Array<{ port?: unknown; path?: unknown }> } | undefined;
  const problems: string[] = [];
  if (object.apiVersion !== 'monitoring.coreos.com/v1') problems.push(`apiVersion ${object.apiVersion}`);
  if (typeof spec?.selector?.matchLabels !== 'object' || spec.selector.matchLabels === null) problems.push('spec.selector.matchLabels is missing');
  if (!Array.isArray(spec?.endpoints) || spec.endpoints.length === 0) problems.push('spec.endpoints is empty');
  spec?.endpoints?.forEach((endpoint, index) => {
    if (typeof endpoint.port !== 'string' || typeof endpoint.path !== 'string') problems.push(`spec.endpoints[${index}] needs a port name and a path`);
  });
  return problems;
}

function schemaProblems(object: KubeObject): string[] {
  if (object.kind === 'ServiceMonitor') return serviceMonitorProblems(object);
  const Schema = SCHEMAS[object.kind];
  if (!Schema) return [`no schema for kind ${object.kind}: add it to SCHEMAS`];
  try {
    new Schema(object as never).validate();
    return [];
  } catch (error) {
    return [`${object.kind}/${object.metadata.name}: ${(error as Error).message}`];
  }
}

/** The `kustomization.yaml` directories under deploy/, relative to it. */
async function kustomizationDirs(dir = DEPLOY): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name === 'kustomization.yaml')
    .map((entry) => relative(DEPLOY, join(entry.parentPath, entry.name)))
    .map((file) => dirname(file))
    .sort();
}

const RENDERED: Record<string, () => Promise<KubeObject[]>> = {
  base: () => kustomize(join(DEPLOY, 'base')),
  'overlays/production': () => kustomize(join(DEPLOY, 'overlays/production')),
  'overlays/monitoring': () => kustomize(join(DEPLOY, 'overlays/monitoring')),
  'components/monitoring': () => kustomizeWith('overlays/production', ['components/monitoring']),
  'components/docker-socket': () => kustomizeWith('overlays/production', ['components/docker-socket']),
};

/** One rendered kustomization and its one Deployment. */
async function render(name: string): Promise<{ objects: KubeObject[]; deployment: IDeployment }> {
  const objects = await RENDERED[name]();
  return { objects, deployment: only<IDeployment>(objects, 'Deployment') };
}

describe('deploy (kustomize)', () => {
  it('renders every kustomization under deploy/ in these tests', async () => {
    const dirs = await kustomizationDirs();

    expect(dirs).toEqual(Object.keys(RENDERED).sort());
  });

  it.each(Object.keys(RENDERED))('%s renders, and every object matches its Kubernetes schema', async (name) => {
    const objects = await RENDERED[name]();

    expect(objects.length).toBeGreaterThan(0);
    expect(objects.flatMap(schemaProblems)).toEqual([]);
  });

  it('fails to render when a kustomization names a file that does not exist', async () => {
    const copy = await mkdtemp(join(tmpdir(), 's2i-bot-deploy-'));
    try {
      await cp(DEPLOY, copy, { recursive: true });
      await rm(join(copy, 'base', 'service.yaml'));

      const failure = await kustomize(join(copy, 'overlays', 'production')).then(() => undefined, (error: { code?: number; stderr?: string }) => error);

      expect(failure?.code).toBe(1);
      expect(failure?.stderr).toContain('service.yaml');
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });

  it.each(['base', 'overlays/production', 'overlays/monitoring'])('%s runs one pod and replaces it with Recreate, so two never write at once', async (name) => {
    const { deployment } = await render(name);

    expect(deployment.spec?.replicas).toBe(1);
    expect(deployment.spec?.strategy?.type).toBe('Recreate');
  });

  describe('base', () => {
    let objects: KubeObject[];
    let deployment: IDeployment;
    beforeAll(async () => ({ objects, deployment } = await render('base')));

    it('probes GET /healthz (liveness) and GET /readyz (readiness) on the port the bot listens on', () => {
      const container = botContainer(deployment);
      const portNumber = (port: number | string | undefined) => (typeof port === 'number' ? port : container.ports?.find((entry) => entry.name === port)?.containerPort);
      const listensOn = Number(container.env?.find((variable) => variable.name === 'PORT')?.value);

      expect(container.livenessProbe?.httpGet?.path).toBe('/healthz');
      expect(container.readinessProbe?.httpGet?.path).toBe('/readyz');
      expect(portNumber(container.livenessProbe?.httpGet?.port)).toBe(3000);
      expect(portNumber(container.readinessProbe?.httpGet?.port)).toBe(3000);
      expect(listensOn).toBe(3000);
    });

    it('runs as the image\'s non-root user, unprivileged, with a read-only root filesystem', async () => {
      const pod = deployment.spec?.template.spec;
      const container = botContainer(deployment);
      const imageUser = /^USER (\d+)/m.exec(await readFile(join(ROOT, 'Dockerfile'), 'utf8'))?.[1];

      expect(pod?.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: Number(imageUser), seccompProfile: { type: 'RuntimeDefault' } });
      expect(Number(imageUser)).toBeGreaterThan(0);
      expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      expect(container.securityContext?.privileged).toBeUndefined();
      expect(pod?.volumes?.filter((volume) => volume.hostPath)).toEqual([]);
    });

    it('gives /tmp an emptyDir and S2I_DATA_DIR the persistent volume claim it renders', () => {
      const pod = deployment.spec?.template.spec;
      const mounts = botContainer(deployment).volumeMounts ?? [];
      const volumeAt = (path: string | undefined) => pod?.volumes?.find((volume) => volume.name === mounts.find((mount) => mount.mountPath === path)?.name);
      const dataDir = botContainer(deployment).env?.find((variable) => variable.name === 'S2I_DATA_DIR')?.value;
      const claims = objects.filter((object) => object.kind === 'PersistentVolumeClaim').map((object) => object.metadata.name);

      expect(volumeAt('/tmp')?.emptyDir).toBeDefined();
      expect(dataDir).toBe('/var/lib/s2i-bot');
      expect(claims).toContain(volumeAt(dataDir)?.persistentVolumeClaim?.claimName);
    });

    it('takes APP_ID, WEBHOOK_SECRET and PRIVATE_KEY from the Secret s2i-bot-github, and no ConfigMap holds them', () => {
      const env = botContainer(deployment).env ?? [];
      const secretNames = ['APP_ID', 'WEBHOOK_SECRET', 'PRIVATE_KEY'];
      const configKeys = objects.filter((object) => object.kind === 'ConfigMap').flatMap((object) => Object.keys((object.data as object | undefined) ?? {}));

      for (const name of secretNames) {
        expect(env.filter((variable) => variable.name === name)).toEqual([{ name, valueFrom: { secretKeyRef: { name: GITHUB_SECRET, key: name } } }]);
      }
      expect(configKeys.filter((key) => secretNames.includes(key) || /KEY|SECRET|TOKEN|PASSWORD/.test(key))).toEqual([]);
    });

    it('reads the operator settings from the ConfigMap it renders; the bot accepts each value and the README names each key', async () => {
      const configMap = only<{ metadata: { name: string }; data: Record<string, string> }>(objects, 'ConfigMap');
      const readme = await readFile(join(ROOT, 'README.md'), 'utf8');

      expect(botContainer(deployment).envFrom).toEqual([{ configMapRef: { name: configMap.metadata.name } }]);
      expect(Object.keys(configMap.data)).toEqual(expect.arrayContaining(['LOG_LEVEL', 'S2I_BUILD_CONCURRENCY', 'S2I_CHECK_REFRESH_SECONDS', 'S2I_DRY_RUN', 'DOCKER_HOST']));
      expect(() => loadBotSettings(configMap.data)).not.toThrow();
      expect(() => loadEngineSettings(configMap.data)).not.toThrow();
      expect(Object.keys(configMap.data).filter((key) => !readme.includes(`\`${key}\``))).toEqual([]);
    });

    it('serves the webhook on Service port 80, named http, at the container port the pods selected by the Service listen on', () => {
      const service = only<IService>(objects, 'Service');
      const podLabels = deployment.spec?.template.metadata?.labels ?? {};
      const [port] = service.spec?.ports ?? [];

      expect(service.spec?.ports).toHaveLength(1);
      expect(port).toMatchObject({ name: 'http', port: 80 });
      expect(botContainer(deployment).ports?.find((entry) => entry.name === port.targetPort)?.containerPort).toBe(3000);
      expect(podLabels).toMatchObject(service.spec?.selector ?? { selector: 'missing' });
    });

    it('gives the pod time to drain on SIGTERM: S2I_SHUTDOWN_GRACE_SECONDS and the cancelling after it', () => {
      const { shutdownGraceMs } = loadBotSettings(only<{ data: Record<string, string> }>(objects, 'ConfigMap').data);
      // After the grace period, cancelled runs get up to 15 s to remove their containers (queue/shut-down.ts).
      const cancellingMs = 15_000;

      expect(shutdownGraceMs).toBe(60_000);
      expect((deployment.spec?.template.spec?.terminationGracePeriodSeconds ?? 30) * 1000).toBeGreaterThan(shutdownGraceMs + cancellingMs);
    });

    it('labels every object app.kubernetes.io/name: s2i-bot and selects its pods by that label', () => {
      expect(objects.filter((object) => object.metadata.labels?.['app.kubernetes.io/name'] !== 's2i-bot').map((object) => object.kind)).toEqual([]);
      expect(deployment.spec?.selector.matchLabels).toEqual(NAME_LABEL);
      expect(deployment.spec?.template.metadata?.labels).toMatchObject(NAME_LABEL);
    });
  });

  describe('overlays/production', () => {
    let objects: KubeObject[];
    let deployment: IDeployment;
    beforeAll(async () => ({ objects, deployment } = await render('overlays/production')));

    it('pins the image to the release in package.json', async () => {
      const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };

      expect(botContainer(deployment).image).toMatch(new RegExp(`^[a-z0-9.-]+(:\\d+)?/[a-z0-9./-]+:${version.replace(/\./g, '\\.')}$`));
    });

    it('asks for more CPU and memory than the base, within a memory limit', async () => {
      const base = botContainer((await render('base')).deployment).resources;
      const production = botContainer(deployment).resources;
      const amount = (value: unknown) => parseQuantity(value) ?? Number.NaN;

      expect(amount(production?.requests?.cpu)).toBeGreaterThan(amount(base?.requests?.cpu));
      expect(amount(production?.requests?.memory)).toBeGreaterThan(amount(base?.requests?.memory));
      expect(amount(production?.limits?.memory)).toBeGreaterThanOrEqual(amount(production?.requests?.memory));
    });

    it('puts every namespaced object into the s2i-bot namespace, which it creates with the restricted Pod Security Standard', () => {
      const namespace = only(objects, 'Namespace');

      expect(objects.filter((object) => !CLUSTER_SCOPED.has(object.kind) && object.metadata.namespace !== NAMESPACE).map((object) => object.kind)).toEqual([]);
      expect(namespace.metadata).toMatchObject({ name: NAMESPACE, labels: { ...NAME_LABEL, 'pod-security.kubernetes.io/enforce': 'restricted' } });
    });

    it('contains no Secret: the operator creates s2i-bot-github', () => {
      expect(objects.filter((object) => object.kind === 'Secret')).toEqual([]);
      expect(JSON.stringify(deployment)).toContain(`"name":"${GITHUB_SECRET}"`);
    });

    it('merges its settings over the base\'s', () => {
      const data = only<{ data: Record<string, string> }>(objects, 'ConfigMap').data;

      expect(data).toMatchObject({ S2I_BUILD_CONCURRENCY: '4', DOCKER_HOST: 'tcp://docker-engine:2376', S2I_DRY_RUN: 'false' });
      expect(loadBotSettings(data).concurrency).toBe(4);
    });
  });

  describe('overlays/monitoring', () => {
    it('is production plus a ServiceMonitor in the bot\'s namespace that scrapes /metrics on the Service\'s http port', async () => {
      const production = await RENDERED['overlays/production']();

      const objects = await RENDERED['overlays/monitoring']();

      const monitor = only(objects, 'ServiceMonitor') as KubeObject & { spec: { selector: { matchLabels: Record<string, string> }; endpoints: Array<{ port: string; path: string }> } };
      const service = only<IService & KubeObject>(objects, 'Service');
      expect(objects.filter((object) => object.kind !== 'ServiceMonitor')).toEqual(production);
      expect(monitor.metadata.namespace).toBe(service.metadata.namespace);
      expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
      expect(monitor.spec.endpoints).toEqual([expect.objectContaining({ port: 'http', path: '/metrics' })]);
      expect(service.spec?.ports?.map((port) => port.name)).toContain('http');
    });
  });

  describe('components/docker-socket', () => {
    it('mounts the node\'s Docker socket, points DOCKER_HOST at it, joins its group and drops the TLS settings', async () => {
      const { objects, deployment } = await render('components/docker-socket');

      const pod = deployment.spec?.template.spec;
      const data = only<{ data: Record<string, string> }>(objects, 'ConfigMap').data;
      const socket = pod?.volumes?.find((volume) => volume.hostPath?.path === '/var/run/docker.sock');
      expect(socket?.hostPath?.type).toBe('Socket');
      expect(botContainer(deployment).volumeMounts).toContainEqual({ name: socket?.name, mountPath: '/var/run/docker.sock' });
      expect(data).toMatchObject({ DOCKER_HOST: 'unix:///var/run/docker.sock', DOCKER_TLS_VERIFY: '', DOCKER_CERT_PATH: '' });
      expect(pod?.securityContext?.supplementalGroups).toHaveLength(1);
      expect(pod?.securityContext?.runAsNonRoot).toBe(true);
    });
  });
});
