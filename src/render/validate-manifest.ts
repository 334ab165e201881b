import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import {
  dns1035Label,
  dns1123Label,
  dns1123Subdomain,
  envName,
  labelValue,
  nonNegativeInteger,
  parseQuantity,
  pinnedImage,
  portName,
  portNumber,
  qualifiedName,
  secretKey,
  show,
  wellFormedText,
} from './kubernetes-rules.js';

export const KUSTOMIZATION_API_VERSION = 'kustomize.config.k8s.io/v1beta1';
/** The one file name kustomize reads in a directory that s2i-bot writes. */
export const KUSTOMIZATION_FILE = 'kustomization.yaml';

/**
 * Kinds checked against the Kubernetes OpenAPI schema (types, required fields, enums, apiVersion). Deployment and
 * Service are what the bundled templates write; the others are what an operator is likely to allow next. A kind
 * an operator allows that is not listed here gets the metadata and namespace checks only.
 */
const SCHEMAS: Record<string, new (data?: never) => { validate(): void }> = {
  ConfigMap,
  Deployment,
  HorizontalPodAutoscaler,
  Ingress,
  NetworkPolicy,
  PodDisruptionBudget,
  Service,
  ServiceAccount,
};

/** Annotations of one object may hold this many bytes at most (the API server's limit). */
const ANNOTATIONS_LIMIT = 256 * 1024;

export interface ManifestContext {
  /** The file as messages name it: its path in the config repo. */
  file: string;
  /** The file's name inside the environment's directory, e.g. `deployment.yaml`. */
  fileName: string;
  /** The names of every file rendered with this one, for the Kustomization's `resources`. */
  fileNames: readonly string[];
  /** The app name: the Deployment's container with this name runs `image`. */
  name: string;
  /** Every namespaced object must be in this namespace. */
  namespace: string;
  /** The image this deploy built, pinned by digest. */
  image: string;
  allowedKinds: readonly string[];
}

/** One parsed object and the file it came from. */
export interface ManifestObject {
  file: string;
  fileName: string;
  object: Record<string, unknown>;
}

/** Where a value sits in an object: keys and list indexes from the top. */
export type FieldPath = ReadonlyArray<string | number>;
type Path = FieldPath;
type Json = Record<string, unknown>;

/**
 * Problems of one file, each as `<file>: <field>: <what is wrong>`. The first problem of a field wins, so a field
 * both the API rules and the schema object to is reported once.
 */
class Findings {
  readonly list: string[] = [];
  private readonly fields = new Set<string>();

  constructor(private readonly file: string) {}

  add(path: Path, message: string): void {
    const field = fieldPath(path);
    if (field !== '' && this.fields.has(field)) return;
    this.fields.add(field);
    this.list.push(`${this.file}: ${field !== '' ? `${field}: ` : ''}${message}`);
  }

  check(path: Path, problem: string | undefined): void {
    if (problem !== undefined) this.add(path, problem);
  }
}

/**
 * What is wrong with one rendered object: a kind the operator does not allow, a schema violation, a value the API
 * server would refuse, a namespace other than the deploy's, a Deployment whose app container does not run the
 * pinned image, a Kustomization that does more than list the files next to it. Empty when it is fine.
 */
export function validateManifest(object: Json, context: ManifestContext): string[] {
  const findings = new Findings(context.file);
  const { kind, apiVersion } = object;
  if (typeof kind !== 'string' || kind === '') {
    findings.add(['kind'], 'is missing; every object needs apiVersion, kind and metadata');
    return findings.list;
  }
  if (typeof apiVersion !== 'string' || apiVersion === '') findings.add(['apiVersion'], 'is missing; every object needs apiVersion, kind and metadata');
  if (!context.allowedKinds.includes(kind)) {
    findings.add(
      ['kind'],
      `${show(kind)} is not allowed (allowed kinds: ${context.allowedKinds.join(', ')}); remove it from the template or ask the operator to allow it`,
    );
    return findings.list;
  }
  checkText(object, [], findings);
  if (kind === 'Kustomization') {
    checkKustomization(object, context, findings);
    return findings.list;
  }
  // The API rules run before the schema: where both object to a field, theirs is the more specific message.
  checkMetadata(object, kind, context, findings);
  if ('status' in object) findings.add(['status'], 'is written by the cluster; a manifest must not contain it');
  if (kind === 'Deployment') checkDeployment(object, context, findings);
  if (kind === 'Service') checkService(object, findings);
  const Schema = SCHEMAS[kind];
  if (Schema) checkSchema(Schema, object, findings);
  return findings.list;
}

/**
 * What is wrong across the rendered objects: two objects of the same kind and name, a Service whose selector or
 * named target port matches none of the Deployments rendered with it, a file the Kustomization does not list.
 */
export function validateManifestSet(objects: readonly ManifestObject[]): string[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const { file, object } of objects) {
    const metadata = asRecord(object.metadata);
    const id = `${String(object.kind)} ${String(metadata?.namespace ?? '')}/${String(metadata?.name ?? '')}`;
    const earlier = seen.get(id);
    if (earlier !== undefined) problems.push(`${file}: ${object.kind} ${show(metadata?.name)} is already defined in ${earlier}`);
    else seen.set(id, file);
  }

  const pods = objects.filter(({ object }) => object.kind === 'Deployment').map(({ object }) => podOf(object));
  for (const { file, object } of objects.filter((entry) => entry.object.kind === 'Service')) {
    const spec = asRecord(object.spec);
    const selector = asRecord(spec?.selector);
    if (!selector || Object.keys(selector).length === 0) continue;
    const selected = pods.filter((pod) => Object.entries(selector).every(([key, value]) => pod.labels[key] === value));
    if (selected.length === 0) {
      problems.push(`${file}: spec.selector: selects none of the Deployments' pods; it must match their spec.template.metadata.labels`);
      continue;
    }
    asArray(spec?.ports).forEach((port, index) => {
      const target = asRecord(port)?.targetPort;
      if (typeof target === 'string' && !selected.some((pod) => pod.portNames.includes(target))) {
        problems.push(`${file}: ${fieldPath(['spec', 'ports', index, 'targetPort'])}: ${show(target)} names no container port of the selected pods`);
      }
    });
  }

  const kustomizations = objects.filter(({ object }) => object.kind === 'Kustomization');
  for (const { file } of kustomizations.slice(1)) {
    problems.push(`${file}: a second Kustomization; one directory has one ${KUSTOMIZATION_FILE}`);
  }
  const [kustomization] = kustomizations;
  if (kustomization) {
    const listed = new Set(asArray(kustomization.object.resources).filter((entry): entry is string => typeof entry === 'string'));
    for (const { fileName } of objects) {
      if (fileName !== kustomization.fileName && !listed.has(fileName)) {
        problems.push(`${kustomization.file}: resources: does not list ${fileName}, so Argo CD and Flux would never apply it`);
      }
    }
  }
  return problems;
}

function checkSchema(Schema: new (data?: never) => { validate(): void }, object: Json, findings: Findings): void {
  try {
    new Schema(object as never).validate();
  } catch (error) {
    const errors = (error as { errors?: unknown }).errors;
    if (!Array.isArray(errors)) {
      findings.add([], `does not match the Kubernetes schema: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    const byField = new Map<string, SchemaError[]>();
    for (const entry of errors as SchemaError[]) {
      const key = entry.keyword === 'required' ? `${entry.instancePath ?? ''}\u0000${String(entry.params?.missingProperty)}` : (entry.instancePath ?? '');
      byField.set(key, [...(byField.get(key) ?? []), entry]);
    }
    for (const group of byField.values()) reportSchemaErrors(group, object, findings);
  }
}

/**
 * One message for the schema errors of one field. An int-or-string or a quantity fails every branch of a `oneOf`,
 * and the raw list ("must be string", "must be integer", "must match exactly one schema in oneOf") says less than
 * "must be string or integer".
 */
function reportSchemaErrors(group: SchemaError[], object: Json, findings: Findings): void {
  const [first] = group;
  const path = pointerPath(first.instancePath ?? '');
  if (first.keyword === 'required') {
    findings.add([...path, String(first.params?.missingProperty)], 'is required');
    return;
  }
  const got = show(valueAt(object, path));
  const enumError = group.find((entry) => entry.keyword === 'enum');
  if (enumError && Array.isArray(enumError.params?.allowedValues)) {
    findings.add(path, `${got} is not one of ${enumError.params.allowedValues.join(', ')}`);
    return;
  }
  const format = group.find((entry) => entry.keyword === 'format' && entry.params?.format !== 'int32' && entry.params?.format !== 'int64');
  if (format) {
    findings.add(path, `${got} is not a valid ${String(format.params?.format)}`);
    return;
  }
  const types = group.filter((entry) => entry.keyword === 'type').map((entry) => String(entry.params?.type));
  if (types.length > 0) {
    findings.add(path, `${got} must be ${types.join(' or ')}`);
    return;
  }
  findings.add(path, `${got} ${first.message ?? 'does not match the schema'}`);
}

interface SchemaError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: { missingProperty?: unknown; allowedValues?: unknown[]; type?: unknown; format?: unknown };
}

function checkMetadata(object: Json, kind: string, context: ManifestContext, findings: Findings): void {
  const metadata = asRecord(object.metadata);
  if (!metadata) {
    findings.add(['metadata'], 'is required, with name and namespace');
    return;
  }
  const { name, namespace, labels, annotations } = metadata;
  if (typeof name !== 'string' || name === '') findings.add(['metadata', 'name'], 'is required');
  else findings.check(['metadata', 'name'], kind === 'Service' ? dns1035Label(name) : dns1123Subdomain(name));
  if (namespace === undefined) {
    findings.add(['metadata', 'namespace'], `is missing; it must be ${show(context.namespace)}, the namespace of the deploy`);
  } else if (namespace !== context.namespace) {
    findings.add(['metadata', 'namespace'], `is ${show(namespace)}; it must be ${show(context.namespace)}, the namespace of the deploy`);
  }
  checkLabels(labels, ['metadata', 'labels'], findings);
  const annotationMap = asRecord(annotations);
  if (annotationMap) {
    let bytes = 0;
    for (const [key, value] of Object.entries(annotationMap)) {
      findings.check(['metadata', 'annotations', key], qualifiedName(key));
      bytes += Buffer.byteLength(key) + (typeof value === 'string' ? Buffer.byteLength(value) : 0);
    }
    if (bytes > ANNOTATIONS_LIMIT) findings.add(['metadata', 'annotations'], `hold ${bytes} bytes; the API server accepts at most ${ANNOTATIONS_LIMIT}`);
  }
}

function checkLabels(value: unknown, path: Path, findings: Findings): void {
  const labels = asRecord(value);
  if (!labels) return;
  for (const [key, label] of Object.entries(labels)) {
    findings.check([...path, key], qualifiedName(key));
    if (typeof label === 'string') findings.check([...path, key], labelValue(label));
  }
}

function checkDeployment(object: Json, context: ManifestContext, findings: Findings): void {
  const spec = asRecord(object.spec);
  if (!spec) {
    findings.add(['spec'], 'is required');
    return;
  }
  if (typeof spec.replicas === 'number') findings.check(['spec', 'replicas'], nonNegativeInteger(spec.replicas));
  const selector = asRecord(spec.selector);
  const matchLabels = asRecord(selector?.matchLabels) ?? {};
  const template = asRecord(spec.template);
  const podLabels = asRecord(asRecord(template?.metadata)?.labels) ?? {};
  checkLabels(matchLabels, ['spec', 'selector', 'matchLabels'], findings);
  checkLabels(podLabels, ['spec', 'template', 'metadata', 'labels'], findings);
  if (selector && Object.keys(matchLabels).length === 0 && asArray(selector.matchExpressions).length === 0) {
    findings.add(['spec', 'selector'], 'is empty and would select every pod in the namespace; give matchLabels');
  }
  for (const [key, value] of Object.entries(matchLabels)) {
    if (podLabels[key] !== value) {
      findings.add(['spec', 'selector', 'matchLabels', key], `${show(value)} does not match spec.template.metadata.labels; the selector must select the Deployment's own pods`);
    }
  }
  const podSpec = asRecord(template?.spec);
  if (podSpec) checkPodSpec(podSpec, ['spec', 'template', 'spec'], context, findings);
}

function checkPodSpec(podSpec: Json, path: Path, context: ManifestContext, findings: Findings): void {
  const containers = asArray(podSpec.containers);
  if (containers.length === 0) findings.add([...path, 'containers'], 'must list at least one container');
  const names = new Set<string>();
  const groups: Array<['containers' | 'initContainers', unknown[]]> = [
    ['initContainers', asArray(podSpec.initContainers)],
    ['containers', containers],
  ];
  for (const [group, list] of groups) {
    list.forEach((entry, index) => {
      const container = asRecord(entry);
      if (!container) return;
      const at = [...path, group, index];
      if (typeof container.name === 'string') {
        findings.check([...at, 'name'], dns1123Label(container.name));
        if (names.has(container.name)) findings.add([...at, 'name'], `${show(container.name)} is used by another container of the pod`);
        names.add(container.name);
      }
      if (typeof container.image === 'string') findings.check([...at, 'image'], pinnedImage(container.image));
      checkContainer(container, at, findings);
    });
  }
  const appIndex = containers.findIndex((entry) => asRecord(entry)?.name === context.name);
  if (appIndex < 0) {
    findings.add([...path, 'containers'], `has no container named ${show(context.name)}; the app's container is named after the app`);
  } else {
    const image = asRecord(containers[appIndex])?.image;
    if (image !== context.image) {
      findings.add([...path, 'containers', appIndex, 'image'], `is ${show(image)}; it must be the image this deploy built, ${show(context.image)}`);
    }
  }
}

function checkContainer(container: Json, path: Path, findings: Findings): void {
  const portNames: string[] = [];
  asArray(container.ports).forEach((entry, index) => {
    const port = asRecord(entry);
    if (!port) return;
    if (typeof port.containerPort === 'number') findings.check([...path, 'ports', index, 'containerPort'], portNumber(port.containerPort));
    if (typeof port.name === 'string') {
      findings.check([...path, 'ports', index, 'name'], portName(port.name));
      if (portNames.includes(port.name)) findings.add([...path, 'ports', index, 'name'], `${show(port.name)} names another port too`);
      portNames.push(port.name);
    }
  });

  const envNames = new Set<string>();
  asArray(container.env).forEach((entry, index) => {
    const variable = asRecord(entry);
    if (!variable) return;
    const at = [...path, 'env', index];
    if (typeof variable.name === 'string') {
      findings.check([...at, 'name'], envName(variable.name));
      if (envNames.has(variable.name)) findings.add([...at, 'name'], `${show(variable.name)} is set twice; give each variable once (env or secretEnv)`);
      envNames.add(variable.name);
    }
    if (variable.value !== undefined && variable.valueFrom !== undefined) findings.add(at, 'has both value and valueFrom; give one');
    const secretRef = asRecord(asRecord(variable.valueFrom)?.secretKeyRef);
    if (secretRef) {
      if (typeof secretRef.name === 'string') findings.check([...at, 'valueFrom', 'secretKeyRef', 'name'], dns1123Subdomain(secretRef.name));
      if (typeof secretRef.key === 'string') findings.check([...at, 'valueFrom', 'secretKeyRef', 'key'], secretKey(secretRef.key));
    }
  });

  for (const probeName of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const probe = asRecord(container[probeName]);
    if (probe) checkProbe(probe, [...path, probeName], portNames, findings);
  }
  checkResources(asRecord(container.resources), [...path, 'resources'], findings);
}

function checkProbe(probe: Json, path: Path, portNames: readonly string[], findings: Findings): void {
  const handlers = ['exec', 'grpc', 'httpGet', 'tcpSocket'].filter((handler) => probe[handler] !== undefined);
  if (handlers.length !== 1) findings.add(path, `must have exactly one of exec, grpc, httpGet and tcpSocket (has ${handlers.length})`);
  for (const field of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    if (typeof probe[field] === 'number') findings.check([...path, field], nonNegativeInteger(probe[field]));
  }
  for (const handler of ['httpGet', 'tcpSocket']) {
    const port = asRecord(probe[handler])?.port;
    if (typeof port === 'number') findings.check([...path, handler, 'port'], portNumber(port));
    if (typeof port === 'string' && !portNames.includes(port)) findings.add([...path, handler, 'port'], `${show(port)} names no port of this container`);
  }
}

function checkResources(resources: Json | undefined, path: Path, findings: Findings): void {
  if (!resources) return;
  const amounts: Record<'requests' | 'limits', Record<string, number>> = { requests: {}, limits: {} };
  for (const group of ['requests', 'limits'] as const) {
    for (const [resource, value] of Object.entries(asRecord(resources[group]) ?? {})) {
      const amount = parseQuantity(value);
      if (amount === undefined) findings.add([...path, group, resource], `${show(value)} is not a quantity (for example 100m, 0.5, 128Mi, 1Gi)`);
      else if (amount < 0) findings.add([...path, group, resource], `${show(value)} is negative`);
      else amounts[group][resource] = amount;
    }
  }
  for (const [resource, request] of Object.entries(amounts.requests)) {
    const limit = amounts.limits[resource];
    if (limit !== undefined && request > limit) {
      findings.add([...path, 'requests', resource], `${show(asRecord(resources.requests)?.[resource])} is more than the limit ${show(asRecord(resources.limits)?.[resource])}; a request may not exceed its limit`);
    }
  }
}

function checkService(object: Json, findings: Findings): void {
  const spec = asRecord(object.spec);
  if (!spec) {
    findings.add(['spec'], 'is required');
    return;
  }
  const type = typeof spec.type === 'string' ? spec.type : 'ClusterIP';
  checkLabels(spec.selector, ['spec', 'selector'], findings);
  const ports = asArray(spec.ports);
  if (ports.length === 0 && type !== 'ExternalName') findings.add(['spec', 'ports'], 'must list at least one port');
  const names: string[] = [];
  ports.forEach((entry, index) => {
    const port = asRecord(entry);
    if (!port) return;
    const at = ['spec', 'ports', index];
    if (typeof port.port === 'number') findings.check([...at, 'port'], portNumber(port.port));
    if (typeof port.targetPort === 'number') findings.check([...at, 'targetPort'], portNumber(port.targetPort));
    if (typeof port.targetPort === 'string') findings.check([...at, 'targetPort'], portName(port.targetPort));
    if (port.nodePort !== undefined) {
      if (type !== 'NodePort' && type !== 'LoadBalancer') findings.add([...at, 'nodePort'], `may only be set when spec.type is NodePort or LoadBalancer, not ${type}`);
      else if (typeof port.nodePort === 'number') findings.check([...at, 'nodePort'], portNumber(port.nodePort));
    }
    if (typeof port.name === 'string') {
      findings.check([...at, 'name'], portName(port.name));
      if (names.includes(port.name)) findings.add([...at, 'name'], `${show(port.name)} names another port too`);
      names.push(port.name);
    } else if (ports.length > 1) {
      findings.add([...at, 'name'], 'is required when a Service has more than one port');
    }
  });
}

/** Keys a Kustomization written by s2i-bot may have: it only gathers the files next to it into one namespace. */
const KUSTOMIZATION_KEYS = new Set(['apiVersion', 'kind', 'metadata', 'namespace', 'resources']);

function checkKustomization(object: Json, context: ManifestContext, findings: Findings): void {
  if (object.apiVersion !== KUSTOMIZATION_API_VERSION) findings.add(['apiVersion'], `${show(object.apiVersion)} must be ${KUSTOMIZATION_API_VERSION}`);
  if (context.fileName !== KUSTOMIZATION_FILE) findings.add([], `a Kustomization must be in ${KUSTOMIZATION_FILE}, the file kustomize reads`);
  for (const key of Object.keys(object)) {
    if (!KUSTOMIZATION_KEYS.has(key)) {
      findings.add([key], 'is not allowed: a Kustomization written by s2i-bot only sets namespace and lists resources, so nothing can change the pinned image or pull in files from elsewhere');
    }
  }
  if (object.metadata !== undefined && !asRecord(object.metadata)) findings.add(['metadata'], 'must be a mapping');
  if (object.namespace !== context.namespace) {
    findings.add(['namespace'], `is ${show(object.namespace)}; it must be ${show(context.namespace)}, the namespace of the deploy`);
  }
  if (!Array.isArray(object.resources) || object.resources.length === 0) {
    findings.add(['resources'], 'must list the files next to it');
    return;
  }
  const listed = new Set<string>();
  object.resources.forEach((entry: unknown, index: number) => {
    if (typeof entry !== 'string') {
      findings.add(['resources', index], `${show(entry)} must be a file name`);
    } else if (entry === context.fileName || !context.fileNames.includes(entry)) {
      findings.add(['resources', index], `${show(entry)} is not one of the files rendered next to it (${context.fileNames.filter((name) => name !== context.fileName).join(', ')}); a Kustomization may only list those`);
    } else if (listed.has(entry)) {
      findings.add(['resources', index], `${show(entry)} is listed twice`);
    }
    if (typeof entry === 'string') listed.add(entry);
  });
}

/** Every string, keys included, must be encodable as UTF-8. */
function checkText(value: unknown, path: Path, findings: Findings): void {
  if (typeof value === 'string') {
    findings.check(path, wellFormedText(value));
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => checkText(item, [...path, index], findings));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      findings.check([...path, key], wellFormedText(key));
      checkText(child, [...path, key], findings);
    }
  }
}

function podOf(object: Json): { labels: Record<string, unknown>; portNames: string[] } {
  const template = asRecord(asRecord(object.spec)?.template);
  const labels = asRecord(asRecord(template?.metadata)?.labels) ?? {};
  const portNames = asArray(asRecord(template?.spec)?.containers).flatMap((container) =>
    asArray(asRecord(container)?.ports).map((port) => asRecord(port)?.name).filter((name): name is string => typeof name === 'string'),
  );
  return { labels, portNames };
}

function asRecord(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function valueAt(object: unknown, path: Path): unknown {
  return path.reduce<unknown>((value, key) => (value !== null && typeof value === 'object' ? (value as Record<string | number, unknown>)[key] : undefined), object);
}

/** `/spec/template/spec/containers/0/image` → `['spec', 'template', 'spec', 'containers', 0, 'image']`. */
function pointerPath(pointer: string): Path {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^(0|[1-9]\d*)$/.test(part) ? Number(part) : part));
}

/** `spec.template.spec.containers[0].env[2].name`; keys that are not identifiers as `labels["app.kubernetes.io/name"]`. */
export function fieldPath(path: FieldPath): string {
  return path
    .map((part, index) => {
      if (typeof part === 'number') return `[${part}]`;
      if (/^[A-Za-z_$][\w$]*$/.test(part)) return index === 0 ? part : `.${part}`;
      return `[${show(part)}]`;
    })
    .join('');
}
