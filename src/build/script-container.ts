import { randomBytes } from 'node:crypto';
import type { ContainerSpec } from '../docker/container-engine.js';
import type { BuildSettings } from '../settings/build-settings.js';
import { proxyVariables, redactProxyCredentials, type ProxySettings } from '../settings/proxy-settings.js';

/**
 * Name prefix of every build container, so leftovers of a dead process can be found and removed.
 * Not a label: a commit copies the container's labels into the image, and so into every container run from it.
 */
export const BUILD_CONTAINER_PREFIX = 's2i-bot-build-';

/** Where the operator's CA bundle appears inside build containers (never committed into the image). */
export const CA_BUNDLE_TARGET = '/run/s2i-bot/ca-certificates.crt';
const CA_VARIABLES = ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE', 'PIP_CERT', 'GIT_SSL_CAINFO', 'CURL_CA_BUNDLE'];

/** The entrypoint s2i uses for script containers: it runs any command and ignores the image's ENTRYPOINT. */
const SCRIPT_ENTRYPOINT = ['/usr/bin/env'];

/** Operator settings a build needs: the container limits and, optionally, a proxy for its scripts. */
export interface BuildEngineSettings extends BuildSettings {
  /** HTTP(S) proxy exported to every script (`assemble`, `save-artifacts`, `assemble-runtime`); unset: none. */
  proxy?: ProxySettings;
}

/** A unique build container name for an output tag, found again by `BUILD_CONTAINER_PREFIX` + tag. */
export function buildContainerName(tag: string): string {
  return `${BUILD_CONTAINER_PREFIX}${tag.slice(0, 64)}-${randomBytes(4).toString('hex')}`;
}

/**
 * The container that runs one S2I script (`assemble`, `save-artifacts`, `assemble-runtime`) with the build
 * isolation and limits. The operator's CA and proxy variables go on the command line of env(1), not into the
 * container config, so a commit of the container never keeps them.
 */
export function scriptContainerSpec(
  settings: BuildEngineSettings,
  options: { name: string; image: string; command: string[]; user: string; env: string[]; discardLogs?: boolean },
): ContainerSpec {
  const caVariables = settings.caBundle ? CA_VARIABLES.map((name) => `${name}=${CA_BUNDLE_TARGET}`) : [];
  return {
    name: options.name,
    image: options.image,
    entrypoint: SCRIPT_ENTRYPOINT,
    cmd: [...caVariables, ...proxyVariables(settings.proxy), ...options.command],
    user: options.user,
    env: options.env,
    limits: {
      memoryBytes: settings.memoryBytes,
      nanoCpus: Math.round(settings.cpus * 1e9),
      pidsLimit: settings.pidsLimit,
      network: settings.network,
    },
    readOnlyMounts: settings.caBundle ? [{ source: settings.caBundle, target: CA_BUNDLE_TARGET }] : [],
    ...(options.discardLogs ? { discardLogs: true } : {}),
  };
}

/** Hides operator secrets (proxy credentials) in text a user will read: log lines, error reasons. */
export function redactorFor(settings: BuildEngineSettings): (text: string) => string {
  return settings.proxy ? (text) => redactProxyCredentials(text, settings.proxy) : (text) => text;
}
