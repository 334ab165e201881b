import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack } from 'tar-stream';
import { BuildError } from '../build/build-error.js';
import type { ContainerEngine } from '../docker/container-engine.js';
import type { SourceInjection } from '../settings/build-settings.js';
import { chownTar } from './chown-tar.js';
import type { PreparedSource, ScriptName } from './prepare-source.js';

/** Numeric owner of the injected files. */
export interface Owner {
  uid: number;
  gid: number;
}

/** Where stdin-mode injection leaves the source tar for the container's own tar (removed before assemble). */
export const STDIN_SOURCE_FILE = '.s2i-bot-source.tar';

/** Docker's PATH for images that set none. */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const END_OF_TAR = 1024;

/**
 * The build context as one tar stream: the prepared tar (`src/` and the source's `.s2i/bin` scripts under
 * `scripts/`), followed by `scripts/<name>` (mode 0755) for `extraScripts`, the ones downloaded from a scripts
 * URL. They come last so that they replace a source script of the same name (a tar extractor lets the later
 * entry win). The spooled tar is streamed from disk without its end-of-archive blocks, never held in memory.
 */
export function sourceArchive(source: PreparedSource, extraScripts: ReadonlyMap<ScriptName, Buffer>): Readable {
  if (extraScripts.size === 0) return createReadStream(source.tarPath);
  const output = new PassThrough();
  void (async () => {
    const { size } = await stat(source.tarPath);
    // The spool is written by tar-stream, which ends an archive with exactly two zero blocks.
    await pipeline(createReadStream(source.tarPath, { end: size - END_OF_TAR - 1 }), output, { end: false });
    const tail = pack();
    tail.entry({ name: 'scripts/', type: 'directory', mode: 0o775 });
    for (const [name, content] of extraScripts) tail.entry({ name: `scripts/${name}`, type: 'file', mode: 0o755, size: content.length }, content);
    tail.finalize();
    await pipeline(tail, output);
  })().catch((error: Error) => output.destroy(error));
  return output;
}

/**
 * The command of the build container. With archive injection it is the assemble script itself; with stdin
 * injection the builder's own `tar` extracts the context first, as the assemble user, the way s2i runs
 * `tar -C <destination> -xf - && <assemble>`. `input` is `-` when the engine streams the tar on stdin, or the
 * file `injectSource` placed for it (removed before assemble runs, so it never reaches the image).
 */
export function assembleCommand(mode: SourceInjection, destination: string, assemble: string, input: '-' | 'file' = 'file'): string[] {
  if (mode === 'archive') return [assemble];
  const script =
    input === '-'
      ? 'tar -C "$1" -xf - && exec "$2"'
      : `tar -C "$1" -xf "$1/${STDIN_SOURCE_FILE}" && rm -f "$1/${STDIN_SOURCE_FILE}" && exec "$2"`;
  return ['/bin/sh', '-c', script, 'sh', destination, assemble];
}

/**
 * Places the context in the container at `destination`. `archive`: the engine extracts it (entries owned by
 * the assemble user). `stdin`: the tar is handed to the container's own tar, as s2i does; as `ContainerEngine`
 * cannot attach stdin to a build container yet, the tar is placed as one file in the destination, which the
 * command from `assembleCommand` extracts and removes before assemble runs.
 */
export async function injectSource(
  engine: ContainerEngine,
  containerId: string,
  destination: string,
  mode: SourceInjection,
  archive: Readable,
  owner: Owner,
  spoolDir: string,
): Promise<void> {
  if (mode === 'archive') {
    await engine.putArchive(containerId, destination, chownTar(archive, owner));
    return;
  }
  // The outer tar needs the inner one's size first, so the (owner-stamped) inner tar is spooled next to the source.
  const inner = join(spoolDir, 'stdin-source.tar');
  await pipeline(chownTar(archive, owner), createWriteStream(inner));
  const { size } = await stat(inner);
  const outer = pack();
  const entry = outer.entry({ name: STDIN_SOURCE_FILE, type: 'file', mode: 0o600, size, uid: owner.uid, gid: owner.gid });
  const copying = pipeline(createReadStream(inner), entry).then(() => outer.finalize());
  copying.catch((error: Error) => outer.destroy(error));
  await Promise.all([engine.putArchive(containerId, destination, outer), copying]);
}

/** The spool directory of a prepared source, where injection may write its temporary files. */
export function spoolDirOf(source: PreparedSource): string {
  return dirname(source.tarPath);
}

/** Requirements already confirmed, by image ID and PATH: each look costs the engine a filesystem mount. */
const confirmed = new Set<string>();
const CONFIRMED_LIMIT = 256;

/**
 * Stdin injection runs `/bin/sh` and `tar` from the builder (s2i falls back to a layered build without them;
 * here `archive` injection is that fallback, and the operator chooses it). This looks for both before assemble
 * runs (in each PATH directory of the build environment), so the build fails at once with a clear message
 * instead of a shell error in the assemble log.
 */
export async function checkStdinRequirements(
  engine: ContainerEngine,
  containerId: string,
  imageId: string,
  builder: string,
  env: readonly string[],
): Promise<void> {
  const pathValue = [...env].reverse().find((entry) => entry.startsWith('PATH='))?.slice(5) ?? DEFAULT_PATH;
  const key = `${imageId}\0${pathValue}`;
  if (confirmed.has(key)) return;
  const dirs = [...new Set(pathValue.split(':').filter((dir) => dir.startsWith('/')))];
  const [shell, ...tars] = await Promise.all([
    engine.pathExists(containerId, '/bin/sh'),
    ...dirs.map((dir) => engine.pathExists(containerId, `${dir.replace(/\/+$/, '')}/tar`)),
  ]);
  const hint = 'install it in the builder image, or ask the operator to use S2I_SOURCE_INJECTION=archive (the default), which needs neither tar nor a shell in the image';
  if (!shell) {
    throw new BuildError({ step: 'builder', reason: `the builder image ${builder} has no /bin/sh, which S2I_SOURCE_INJECTION=stdin needs to extract the source`, hint });
  }
  if (!tars.some(Boolean)) {
    throw new BuildError({ step: 'builder', reason: `the builder image ${builder} has no tar in PATH: ${pathValue} (S2I_SOURCE_INJECTION=stdin extracts the source with the image's own tar, as s2i does)`, hint });
  }
  if (confirmed.size >= CONFIRMED_LIMIT) confirmed.delete(confirmed.values().next().value as string);
  confirmed.add(key);
}
