import type { ScriptName } from '../source/prepare-source.js';
import { BuildError } from './build-error.js';
import { LABELS, type ScriptsLocation } from './builder-image.js';
import { fetchScript, ScriptFetchError, type FetchedScript, type FetchScriptOptions } from './script-source-fetch.js';
import { joinPath, redactUrl, scriptUrl, type ScriptsUrl } from './script-source-url.js';

/** The operator setting that overrides every builder's scripts, named in messages. */
export const OPERATOR_SCRIPTS_SETTING = 'S2I_SCRIPTS_URL';

/** Where a script came from: the source's `.s2i/bin`, the builder image itself, or a file/http URL. */
export type ScriptOrigin = 'source' | 'image' | 'url';

/** One S2I script as the build container will run it. */
export interface ResolvedScript {
  name: ScriptName;
  /** Path inside the build container. */
  path: string;
  from: ScriptOrigin;
  /** What a person reads: `.s2i/bin/assemble`, `/usr/libexec/s2i/assemble`, or the URL it was downloaded from. */
  label: string;
  /** The label, variable or setting that named it (undefined for `.s2i/bin`). */
  declaredBy: string | undefined;
}

/** The scripts of one build, and the files to place under `<destination>/scripts/`. */
export interface ScriptSet {
  assemble: ResolvedScript;
  /** Undefined only when `runOptional` was asked and no location has it. */
  run: ResolvedScript | undefined;
  /** Optional scripts (`save-artifacts`, ...) that some location provides. */
  optional: Partial<Record<ScriptName, ResolvedScript>>;
  /**
   * Scripts downloaded from a file/http URL, by name, to add under `<destination>/scripts/` (the source's own
   * `.s2i/bin` scripts are already in the prepared source).
   */
  downloaded: Map<ScriptName, Buffer>;
}

export interface ResolveScriptsInput {
  /** Builder image reference, for messages. */
  builder: string;
  /** The builder's `io.openshift.s2i.destination`. */
  destination: string;
  /** `S2I_SCRIPTS_URL`, when the operator set one. */
  operator: ScriptsUrl | undefined;
  /** The builder's scripts URL (label, else `STI_SCRIPTS_URL`). */
  image: ScriptsLocation | undefined;
  /** Scripts the source brings in `.s2i/bin/`. */
  source: ReadonlySet<ScriptName> | ReadonlyMap<ScriptName, Buffer>;
  /** Scripts looked for but not required (default: `save-artifacts`). */
  optional?: readonly ScriptName[];
  /** `run` need not be found: a runtime image brings its own. */
  runOptional?: boolean;
  fetch?: FetchScriptOptions;
  /** Replaceable for tests. */
  fetcher?: typeof fetchScript;
}

const REQUIRED: readonly ScriptName[] = ['assemble', 'run'];

/**
 * Picks every script the way s2i does, script by script, in this order:
 * 1. the operator's `S2I_SCRIPTS_URL` (s2i's `--scripts-url`),
 * 2. `.s2i/bin/` of the source,
 * 3. the builder's `io.openshift.s2i.scripts-url` label (or `STI_SCRIPTS_URL`).
 * An `image://` location ends the search for every script (the image is trusted to have it; required ones are
 * checked in the container). A `file://` or `http(s)://` location is fetched by the bot; a script that is not
 * there (404, no such file) passes on to the next location, any other failure stops the build. As in s2i, an
 * operator URL that yields none of the scripts is an error.
 */
export async function resolveScripts(input: ResolveScriptsInput): Promise<ScriptSet> {
  const names = [...REQUIRED, ...(input.optional ?? ['save-artifacts'])];
  const fetcher = input.fetcher ?? fetchScript;
  const options: FetchScriptOptions = input.fetch ?? { scriptsDir: undefined };
  const chosen = new Map<ScriptName, ResolvedScript>();
  const downloaded = new Map<ScriptName, Buffer>();
  const misses = new Map<ScriptName, string[]>();
  const miss = (name: ScriptName, reason: string) => misses.set(name, [...(misses.get(name) ?? []), reason]);
  const injected = (name: ScriptName, from: ScriptOrigin, label: string, declaredBy: string | undefined) =>
    chosen.set(name, { name, path: joinPath(joinPath(input.destination, 'scripts'), name), from, label, declaredBy });

  const tryLocation = async (location: ScriptsUrl, declaredBy: string) => {
    const pending = names.filter((name) => !chosen.has(name));
    if (location.kind === 'image') {
      for (const name of pending) {
        const path = joinPath(location.dir, name);
        chosen.set(name, { name, path, from: 'image', label: path, declaredBy });
      }
      return pending.length;
    }
    const results = await Promise.all(pending.map(async (name) => [name, await fetchOrFail(fetcher, location, name, options, declaredBy)] as const));
    let found = 0;
    for (const [name, result] of results) {
      if (result.found) {
        found += 1;
        injected(name, 'url', redactUrl(scriptUrl(location, name)), declaredBy);
        downloaded.set(name, result.content);
      } else {
        miss(name, result.reason);
      }
    }
    return found;
  };

  if (input.operator) {
    const found = await tryLocation(input.operator, OPERATOR_SCRIPTS_SETTING);
    if (found === 0) {
      throw new BuildError({
        step: 'builder',
        reason: `no S2I script could be found at ${OPERATOR_SCRIPTS_SETTING} ${redactUrl(input.operator.url)} (${names.flatMap((name) => misses.get(name) ?? []).join('; ')})`,
        hint: `ask the operator to point ${OPERATOR_SCRIPTS_SETTING} at a directory with assemble and run, or to unset it`,
      });
    }
  }
  for (const name of names) {
    if (!chosen.has(name) && input.source.has(name)) injected(name, 'source', `.s2i/bin/${name}`, undefined);
  }
  if (input.image && names.some((name) => !chosen.has(name))) await tryLocation(input.image.url, input.image.declaredBy);

  for (const name of input.runOptional ? REQUIRED.filter((script) => script !== 'run') : REQUIRED) {
    if (chosen.has(name)) continue;
    const tried = misses.get(name) ?? [];
    if (!input.image && !input.operator) {
      throw new BuildError({
        step: 'builder',
        reason: `builder image ${input.builder} has no ${LABELS.scriptsUrl} label and the source has no .s2i/bin/${name}`,
        hint: `use an S2I builder image (one with the ${LABELS.scriptsUrl} label) or add .s2i/bin/${name} to the source`,
      });
    }
    throw new BuildError({
      step: 'builder',
      reason: `no ${name} script was found for builder image ${input.builder}: the source has no .s2i/bin/${name}${tried.length > 0 ? `, and ${tried.join(', ')}` : ''}`,
      hint: `publish ${name} next to the other scripts at that URL, or add .s2i/bin/${name} to the source`,
    });
  }
  const optional: Partial<Record<ScriptName, ResolvedScript>> = {};
  for (const name of names) if (!REQUIRED.includes(name) && chosen.has(name)) optional[name] = chosen.get(name);
  return { assemble: chosen.get('assemble') as ResolvedScript, run: chosen.get('run'), optional, downloaded };
}

async function fetchOrFail(
  fetcher: typeof fetchScript,
  location: ScriptsUrl,
  name: ScriptName,
  options: FetchScriptOptions,
  declaredBy: string,
): Promise<FetchedScript> {
  try {
    return await fetcher(location, name, options);
  } catch (error) {
    if (!(error instanceof ScriptFetchError)) throw error;
    throw new BuildError({ step: 'builder', reason: `${name} script from ${declaredBy}: ${error.message}`, hint: error.hint, cause: error });
  }
}
