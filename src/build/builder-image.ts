import type { ImageInfo } from '../docker/container-engine.js';
import { BuildError } from './build-error.js';

/** Labels of the openshift/source-to-image builder contract. */
export const LABELS = {
  scriptsUrl: 'io.openshift.s2i.scripts-url',
  destination: 'io.openshift.s2i.destination',
  assembleUser: 'io.openshift.s2i.assemble-user',
} as const;

/** The s2i 1.x environment variable that predates the scripts-url label. */
const LEGACY_SCRIPTS_ENV = 'STI_SCRIPTS_URL';

/** How a builder image wants to be driven, read from its labels and config. */
export interface BuilderContract {
  /** Directory of the image's own scripts (from `image://`), undefined when it declares none. */
  imageScriptsDir: string | undefined;
  /** Where `src/` (and `scripts/`) are placed before `assemble` runs. */
  destination: string;
  /** User that runs `assemble`. */
  assembleUser: string;
  /** User of the output image: the builder's USER. */
  runUser: string;
}

/** Reads the builder contract from an inspected image; unsupported script URLs are errors. */
export function readBuilderContract(builder: string, image: ImageInfo): BuilderContract {
  const legacy = image.env.find((entry) => entry.startsWith(`${LEGACY_SCRIPTS_ENV}=`))?.slice(LEGACY_SCRIPTS_ENV.length + 1);
  const scriptsUrl = image.labels[LABELS.scriptsUrl] || legacy || undefined;
  return {
    imageScriptsDir: scriptsUrl === undefined ? undefined : imageScriptsDir(builder, scriptsUrl),
    destination: normaliseDestination(image.labels[LABELS.destination]),
    assembleUser: image.labels[LABELS.assembleUser] || image.user,
    runUser: image.user,
  };
}

function imageScriptsDir(builder: string, url: string): string {
  const match = /^image:\/\/(\/.*)$/.exec(url.trim());
  if (!match) {
    throw new BuildError({
      step: 'builder',
      reason: `builder image ${builder} declares ${LABELS.scriptsUrl}="${url}", and only image:// URLs are supported`,
      hint: `point ${LABELS.scriptsUrl} at the scripts inside the image (image:///usr/libexec/s2i) or ship them in .s2i/bin/ of the source`,
    });
  }
  return match[1].replace(/\/+$/, '') || '/';
}

function normaliseDestination(value: string | undefined): string {
  const destination = (value || '/tmp').trim().replace(/\/+$/, '');
  return destination === '' ? '/' : destination;
}
