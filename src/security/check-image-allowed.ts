import picomatch from 'picomatch';
import { BuildError } from '../build/build-error.js';
import { DOCKER_HUB, ImageReferenceError, parsePullReference } from '../registry/image-reference.js';

/** `*` stays within one path segment; `!` is never "everything except", so a glob can only widen the list. */
const GLOB_OPTIONS = { dot: true, nonegate: true, windows: false } as const;

/**
 * The reference an allowlist glob is matched against: registry host included, Docker Hub's implicit `library/`
 * written out, `:latest` when neither tag nor digest is given. `node:20`, `docker.io/node:20` and
 * `docker.io/library/node:20` name one image, so they must meet one verdict.
 */
export function fullImageReference(reference: string): string {
  // Validates the reference and adds `:latest` where the engine would.
  const { reference: pulled } = parsePullReference(reference);
  const first = pulled.split('/')[0];
  const hasHost = pulled.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  // Host names are case-insensitive; repository paths are lowercase by the reference grammar.
  const host = hasHost ? first.toLowerCase() : DOCKER_HUB;
  const path = hasHost ? pulled.slice(first.length + 1) : pulled;
  const official = host === DOCKER_HUB && !path.split(/[:@]/)[0].includes('/');
  return `${host}/${official ? 'library/' : ''}${path}`;
}

/**
 * Refuses a builder or runtime image the operator's `S2I_ALLOWED_BUILDERS` does not name, before anything is
 * pulled or run: a config in an app repo must not be able to run an arbitrary image on the build host. No
 * allowlist (undefined) allows every image.
 */
export function checkImageAllowed(reference: string, role: 'builder' | 'runtime', allowed: readonly string[] | undefined): void {
  if (allowed === undefined) return;
  let full: string;
  try {
    full = fullImageReference(reference);
  } catch (cause) {
    if (!(cause instanceof ImageReferenceError)) throw cause;
    throw new BuildError({ step: 'builder', reason: cause.message, hint: `fix the ${role} image name`, cause });
  }
  if (picomatch.isMatch(full, [...allowed], GLOB_OPTIONS)) return;
  throw new BuildError({
    step: 'builder',
    reason: `${role} image ${reference}${full !== reference ? ` (${full})` : ''} is not allowed by S2I_ALLOWED_BUILDERS (${allowed.join(', ')})`,
    hint: `use a ${role} image the list allows, or ask the operator who runs s2i-bot to add ${full} to S2I_ALLOWED_BUILDERS`,
  });
}
