import type { ImageInfo } from '../docker/container-engine.js';
import { BuildError } from './build-error.js';
import { parseScriptsUrl, SCRIPTS_URL_FORMS, ScriptsUrlError, type ScriptsUrl } from './script-source-url.js';

/** Labels of the openshift/source-to-image builder contract. */
export const LABELS = {
  scriptsUrl: 'io.openshift.s2i.scripts-url',
  destination: 'io.openshift.s2i.destination',
  assembleUser: 'io.openshift.s2i.assemble-user',
} as const;

/** The s2i 1.x environment variable that predates the scripts-url label. */
export const LEGACY_SCRIPTS_ENV = 'STI_SCRIPTS_URL';

/** A scripts URL and who declared it, so that every message can name the label, variable or setting. */
export interface ScriptsLocation {
  url: ScriptsUrl;
  /** `io.openshift.s2i.scripts-url`, `STI_SCRIPTS_URL` or `S2I_SCRIPTS_URL`. */
  declaredBy: string;
}

/** How a builder image wants to be driven, read from its labels and config. */
export interface BuilderContract {
  /** Directory of the image's own scripts (from `image://`), undefined when it declares none or another kind. */
  imageScriptsDir: string | undefined;
  /** The builder's scripts URL (label, else `STI_SCRIPTS_URL`), of any kind; undefined when it declares none. */
  scripts: ScriptsLocation | undefined;
  /** Where `src/` (and `scripts/`) are placed before `assemble` runs. */
  destination: string;
  /** User that runs `assemble`. */
  assembleUser: string;
  /** Where the assemble user comes from: the `io.openshift.s2i.assemble-user` label or the image `USER`. */
  assembleUserFrom: 'label' | 'USER';
  /** User of the output image: the builder's USER. */
  runUser: string;
}

/** Reads the builder contract from an inspected image; malformed script URLs are errors. */
export function readBuilderContract(builder: string, image: ImageInfo): BuilderContract {
  const legacy = image.env.find((entry) => entry.startsWith(`${LEGACY_SCRIPTS_ENV}=`))?.slice(LEGACY_SCRIPTS_ENV.length + 1);
  const label = image.labels[LABELS.scriptsUrl];
  const declared = label ? { raw: label, declaredBy: LABELS.scriptsUrl } : legacy ? { raw: legacy, declaredBy: LEGACY_SCRIPTS_ENV } : undefined;
  const scripts = declared === undefined ? undefined : { url: builderScriptsUrl(builder, declared.raw, declared.declaredBy), declaredBy: declared.declaredBy };
  const labelUser = image.labels[LABELS.assembleUser];
  return {
    imageScriptsDir: scripts?.url.kind === 'image' ? scripts.url.dir : undefined,
    scripts,
    destination: normaliseDestination(image.labels[LABELS.destination]),
    assembleUser: labelUser || image.user,
    assembleUserFrom: labelUser ? 'label' : 'USER',
    runUser: image.user,
  };
}

function builderScriptsUrl(builder: string, raw: string, declaredBy: string): ScriptsUrl {
  try {
    return parseScriptsUrl(raw);
  } catch (error) {
    if (!(error instanceof ScriptsUrlError)) throw error;
    throw new BuildError({
      step: 'builder',
      reason: `builder image ${builder} declares ${declaredBy}="${raw}", which is not a usable scripts URL: ${error.message}`,
      hint: `point ${LABELS.scriptsUrl} at the scripts (${SCRIPTS_URL_FORMS}) or ship them in .s2i/bin/ of the source`,
    });
  }
}

function normaliseDestination(value: string | undefined): string {
  const destination = (value || '/tmp').trim().replace(/\/+$/, '');
  return destination === '' ? '/' : destination;
}
