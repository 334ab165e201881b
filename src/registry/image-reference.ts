/** Docker Hub's registry host as the docker CLI names it in references. */
export const DOCKER_HUB = 'docker.io';

export interface ImageReference {
  /** Registry host[:port], `docker.io` when the reference names none. */
  registry: string;
  /** Repository including the registry host when one was given, exactly as written. */
  repository: string;
  tag: string | undefined;
}

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

export class ImageReferenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageReferenceError';
  }
}

/**
 * A reference to pull: `[host/]path[:tag][@digest]`. Digests are allowed here (a builder may be pinned), and a
 * reference with neither tag nor digest gets `:latest`, because the Engine API pulls every tag without one.
 */
export function parsePullReference(value: string): { registry: string; reference: string } {
  const trimmed = value.trim();
  const at = trimmed.indexOf('@');
  const digest = at < 0 ? undefined : trimmed.slice(at + 1);
  if (digest !== undefined && !/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[A-Fa-f0-9]{32,}$/.test(digest)) {
    throw new ImageReferenceError(`"${value}" has an invalid digest; write it as repository@sha256:<64 hex digits>`);
  }
  const named = parseImageReference(at < 0 ? trimmed : trimmed.slice(0, at));
  const reference = digest !== undefined ? `${at < 0 ? trimmed : trimmed.slice(0, at)}@${digest}` : `${named.repository}:${named.tag ?? 'latest'}`;
  return { registry: named.registry, reference };
}

/**
 * Parses `[host[:port]/]path[:tag]` the way the docker CLI does: the first component is a registry
 * host when it contains a dot or a colon or is `localhost`.
 */
export function parseImageReference(value: string): ImageReference {
  const trimmed = value.trim();
  if (trimmed.includes('@')) throw new ImageReferenceError(`"${value}": give a repository and an optional tag, not a digest`);
  const slash = trimmed.lastIndexOf('/');
  const colon = trimmed.lastIndexOf(':');
  const hasTag = colon > slash;
  const repository = hasTag ? trimmed.slice(0, colon) : trimmed;
  const tag = hasTag ? trimmed.slice(colon + 1) : undefined;
  const first = repository.split('/')[0];
  const hasHost = repository.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  const path = hasHost ? repository.slice(first.length + 1) : repository;
  if (!REPOSITORY.test(path)) {
    throw new ImageReferenceError(`"${value}" is not a valid image repository (lowercase letters, digits, and . _ - / separators)`);
  }
  if (tag !== undefined && !TAG.test(tag)) {
    throw new ImageReferenceError(`"${tag}" is not a valid image tag (letters, digits, _ . -, at most 128)`);
  }
  return { registry: hasHost ? first : DOCKER_HUB, repository, tag };
}
