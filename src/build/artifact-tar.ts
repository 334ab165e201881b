import { posix } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar, { type Headers } from 'tar-stream';

export interface ArtifactTarOptions {
  /**
   * Directory every entry is placed under, relative to where the tar will be extracted ('' for none), e.g.
   * `artifacts` or `app/dist`. Its components are emitted as directory entries first.
   */
  prefix: string;
  /** Owner of every entry. */
  owner: { uid: number; gid: number };
  /**
   * `keep`: the entries' modes without set-uid/set-gid bits; `normalise`: s2i's runtime-artifact modes,
   * 0755 for directories and executables, 0644 for other files.
   */
  modes: 'keep' | 'normalise';
  /** The tar fails once its files add up to more than this. */
  maxBytes: number;
}

export interface ArtifactTarStats {
  files: number;
  bytes: number;
  /** Entries left out: unsafe paths, device files, links that point through or outside the tree. */
  dropped: number;
}

/** The tar exceeded `maxBytes`. */
export class ArtifactTarTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`the artifacts are larger than ${maxBytes} bytes`);
    this.name = 'ArtifactTarTooLargeError';
  }
}

/**
 * Re-packs a tar stream of build artifacts (a `save-artifacts` output, an archive of a builder container's path)
 * so that it extracts only below `prefix`: entries are renamed under it and owned by `owner`; `..` paths,
 * device files, hard links to anything but an earlier file, and anything placed through an earlier symlink
 * are left out (the engine would follow the symlink). Absolute names lose their leading `/`, as GNU tar does.
 * Symlink targets are kept as they are: a link is only followed by whoever reads it later, inside the container.
 *
 * Write the input tar to `input`; read the new tar from `output`; `done` settles when the input is fully read
 * (rejects when it is not a tar, or too large).
 */
export function artifactTar(options: ArtifactTarOptions): { input: Writable; output: Readable; done: Promise<ArtifactTarStats> } {
  const extract = tar.extract();
  const pack = tar.pack();
  const prefix = options.prefix === '' ? '' : `${options.prefix.replace(/\/+$/, '')}/`;
  const owner = { uid: options.owner.uid, gid: options.owner.gid };
  const stats: ArtifactTarStats = { files: 0, bytes: 0, dropped: 0 };
  const files = new Set<string>();
  const symlinks = new Set<string>();
  const throughSymlink = (path: string) => {
    const parts = path.split('/');
    for (let end = 1; end < parts.length; end += 1) if (symlinks.has(parts.slice(0, end).join('/'))) return true;
    return false;
  };
  const directoryMode = (mode: number | undefined) => (options.modes === 'normalise' ? 0o755 : ((mode ?? 0o755) & 0o1777) | 0o700);
  const fileMode = (mode: number | undefined) =>
    options.modes === 'normalise' ? ((mode ?? 0) & 0o111 ? 0o755 : 0o644) : (mode ?? 0o644) & 0o1777;

  const done = (async () => {
    let parent = '';
    for (const part of prefix.split('/').filter(Boolean)) {
      parent += `${part}/`;
      pack.entry({ name: parent, type: 'directory', mode: 0o775, ...owner });
    }
    for await (const entry of extract) {
      const header = entry.header;
      const path = entryPath(header.name);
      const write = async (fields: Headers) => {
        if (fields.type === 'file') {
          await pipeline(entry, pack.entry(fields));
        } else {
          pack.entry(fields);
          entry.resume();
        }
      };
      if (path === '' || header.type === 'pax-global-header' || header.type === 'pax-header') {
        entry.resume();
        continue;
      }
      if (path === undefined || throughSymlink(path)) {
        stats.dropped += 1;
        entry.resume();
        continue;
      }
      const base = { name: `${prefix}${path}`, mtime: header.mtime, ...owner };
      switch (header.type) {
        case 'directory':
          await write({ ...base, name: `${base.name}/`, type: 'directory', mode: directoryMode(header.mode) });
          break;
        case 'file':
        case 'contiguous-file': {
          stats.bytes += header.size ?? 0;
          if (stats.bytes > options.maxBytes) throw new ArtifactTarTooLargeError(options.maxBytes);
          stats.files += 1;
          files.add(path);
          await write({ ...base, type: 'file', size: header.size ?? 0, mode: fileMode(header.mode) });
          break;
        }
        case 'symlink':
          symlinks.add(path);
          await write({ ...base, type: 'symlink', linkname: header.linkname ?? '', mode: 0o777 });
          break;
        case 'link': {
          const target = entryPath(header.linkname ?? '');
          if (target === undefined || target === '' || !files.has(target) || throughSymlink(target)) {
            stats.dropped += 1;
            entry.resume();
            break;
          }
          stats.files += 1;
          await write({ ...base, type: 'link', linkname: `${prefix}${target}`, mode: fileMode(header.mode) });
          break;
        }
        default:
          stats.dropped += 1;
          entry.resume();
      }
    }
    pack.finalize();
    return stats;
  })();
  // Failures are reported through `done`; the listeners keep a stream error from crashing a consumer that
  // attached none (the engine's request body, a writer that only awaits drain).
  extract.on('error', () => undefined);
  pack.on('error', () => undefined);
  done.catch((error: Error) => {
    extract.destroy(error);
    pack.destroy(error);
  });
  return { input: extract, output: pack, done };
}

/** An entry's path relative to the tree: '' for the root itself, undefined when it climbs out (`..`). */
function entryPath(name: string): string | undefined {
  if (name.includes('\0')) return undefined;
  const normalised = posix.normalize(name.replace(/^\/+/, '')).replace(/\/+$/, '');
  if (normalised === '.' || normalised === '') return '';
  if (normalised === '..' || normalised.startsWith('../')) return undefined;
  return normalised;
}
