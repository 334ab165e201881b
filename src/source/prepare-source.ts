import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { extract, pack, type Headers } from 'tar-stream';
import { parseEnvironmentFile, type EnvironmentFileProblem } from './parse-environment-file.js';
import { isIgnored, parseS2iIgnore, S2I_IGNORE_FILE, type S2iIgnore } from './s2i-ignore.js';

/** The S2I scripts a source tree may provide under `.s2i/bin/`. */
export const SCRIPT_NAMES = ['assemble', 'run', 'save-artifacts', 'assemble-runtime'] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

export interface PrepareSourceOptions {
  /** Leading path components to drop from every entry (1 for GitHub tarballs' `<owner>-<repo>-<sha>/`). */
  stripComponents: number;
  /** Subdirectory of the source to build; '' or '.' for the root. */
  contextDir: string;
  /** The source is refused when its files add up to more than this. */
  maxBytes: number;
}

/** An entry left out of the build context because it could escape or harm the build container. */
export interface DroppedEntry {
  path: string;
  reason: string;
}

/** A sanitised build context spooled to disk, ready to be extracted at the builder's destination. */
export interface PreparedSource {
  /**
   * Tar with `src/...` (the context dir's content, less what `.s2iignore` leaves out) and `scripts/...` (from
   * `.s2i/bin/`; scripts from a scripts URL are added when the context is injected, see `sourceArchive`).
   */
  tarPath: string;
  /** Scripts the source provides in `.s2i/bin/`. */
  scripts: ScriptName[];
  /** Their content (taken before `.s2iignore` applies, as s2i installs them before it ignores files). */
  scriptFiles: Map<ScriptName, Buffer>;
  /** Variables from `.s2i/environment`. */
  environment: Record<string, string>;
  environmentProblems: EnvironmentFileProblem[];
  dropped: DroppedEntry[];
  /** Entries of the source left out by its `.s2iignore`. */
  ignoredCount: number;
  fileCount: number;
  bytes: number;
  /** Removes the spooled tar. */
  dispose(): Promise<void>;
}

/** A source that cannot be built; `hint` says what to do when it is not "fix the source". */
export class SourceError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'SourceError';
  }
}

const MAX_SCRIPT_BYTES = 1024 * 1024;
const MAX_ENVIRONMENT_BYTES = 64 * 1024;

/**
 * Streams a source tar into a sanitised build context on disk (never the whole source in memory).
 * Paths with `..`, absolute paths, symlinks or hard links that point outside the tree, device files and
 * set-uid bits are dropped or neutralised, so nothing lands outside `<destination>/src` in the container.
 */
export async function prepareSource(input: Readable, options: PrepareSourceOptions): Promise<PreparedSource> {
  let context: string;
  try {
    context = normaliseContextDir(options.contextDir);
  } catch (error) {
    input.destroy();
    throw error;
  }
  // Listened to before the first await: a source that fails at once (a missing directory) must become a
  // SourceError, not crash the process as an unhandled stream error.
  let earlyError: Error | undefined;
  const rememberError = (error: Error) => (earlyError ??= error);
  input.on('error', rememberError);
  const dir = await mkdtemp(join(tmpdir(), 's2i-bot-source-')).catch((error: unknown) => {
    input.destroy();
    throw error;
  });
  if (earlyError) {
    await rm(dir, { recursive: true, force: true });
    throw new SourceError(`the source archive could not be read: ${earlyError.message}`);
  }
  input.off('error', rememberError);
  const tarPath = join(dir, 'context.tar');
  const dropped: DroppedEntry[] = [];
  const scripts = new Map<ScriptName, Buffer>();
  const emittedFiles = new Set<string>();
  /** Symlinks written so far: the extractor follows them, so nothing may be placed or linked through them. */
  const symlinks = new Set<string>();
  const symlinkOnPath = (path: string, includeSelf: boolean) => {
    const parts = path.split('/');
    for (let end = 1; end <= parts.length - (includeSelf ? 0 : 1); end += 1) {
      const prefix = parts.slice(0, end).join('/');
      if (symlinks.has(prefix)) return prefix;
    }
    return undefined;
  };
  let environmentText: string | undefined;
  let ignoreText: string | undefined;
  /** Hard links written, by the file they point to: a file `.s2iignore` leaves out must survive for them. */
  const linksByTarget = new Map<string, string[]>();
  let fileCount = 0;
  let bytes = 0;
  /** Files and links other than `.s2iignore`: what an `.s2iignore` must not take away entirely. */
  let contentCount = 0;
  let sawContextDir = context === '';

  const output = pack();
  const written = pipeline(output, createWriteStream(tarPath));
  output.entry({ name: 'src/', type: 'directory', mode: 0o775 });

  const unpack = extract();
  const processing = (async () => {
    for await (const entry of unpack) {
      const header = entry.header;
      const raw = stripComponents(header.name, options.stripComponents);
      const location = raw === undefined ? undefined : relativeToContext(raw, context);
      if (raw !== undefined && location?.inside && location.path === '') sawContextDir = true;
      const skip = async (reason?: string) => {
        if (reason) dropped.push({ path: header.name, reason });
        entry.resume();
        await new Promise((resolve) => entry.on('end', resolve));
      };

      if (header.type === 'pax-global-header' || header.type === 'pax-header' || raw === undefined) {
        await skip();
        continue;
      }
      if (!location) {
        await skip('path leaves the source tree (absolute or ..)');
        continue;
      }
      if (!location.inside || location.path === '') {
        await skip();
        continue;
      }
      sawContextDir = true;
      const path = location.path;
      const name = `src/${path}`;
      const throughSymlink = symlinkOnPath(path, false);
      if (throughSymlink !== undefined) {
        await skip(`path goes through the symlink ${throughSymlink}`);
        continue;
      }
      switch (header.type) {
        case 'directory':
          output.entry({ name: `${name}/`, type: 'directory', mode: (header.mode ?? 0o755) & 0o777 | 0o700, mtime: header.mtime });
          await skip();
          break;
        case 'symlink': {
          const target = header.linkname ?? '';
          if (!symlinkStaysInside(path, target)) {
            await skip(`symlink to ${target} points outside the source tree`);
            break;
          }
          // Normalised, so a `..` never climbs out of a directory that is (or later becomes) a symlink.
          output.entry({ name, type: 'symlink', linkname: posix.normalize(target), mode: 0o777, mtime: header.mtime });
          symlinks.add(path);
          contentCount += 1;
          await skip();
          break;
        }
        case 'link': {
          const rawTarget = stripComponents(header.linkname ?? '', options.stripComponents);
          const target = rawTarget === undefined ? undefined : relativeToContext(rawTarget, context);
          if (!target?.inside || !emittedFiles.has(target.path) || symlinkOnPath(target.path, true) !== undefined) {
            await skip(`hard link to ${header.linkname} points outside the source tree`);
            break;
          }
          output.entry({ name, type: 'link', linkname: `src/${target.path}`, mode: (header.mode ?? 0o644) & 0o777, mtime: header.mtime });
          linksByTarget.set(target.path, [...(linksByTarget.get(target.path) ?? []), path]);
          contentCount += 1;
          await skip();
          break;
        }
        case 'file':
        case 'contiguous-file': {
          const size = header.size ?? 0;
          bytes += size;
          if (bytes > options.maxBytes) {
            throw new SourceError(
              `the source is larger than the ${formatBytes(options.maxBytes)} limit; ` +
                'build a smaller contextDir or ask the operator to raise S2I_MAX_SOURCE_BYTES',
            );
          }
          fileCount += 1;
          emittedFiles.add(path);
          if (path !== S2I_IGNORE_FILE) contentCount += 1;
          const script = scriptName(path);
          const keep = script || path === '.s2i/environment' || path === S2I_IGNORE_FILE;
          if (keep && size > (script ? MAX_SCRIPT_BYTES : MAX_ENVIRONMENT_BYTES)) {
            throw new SourceError(`${path} is ${formatBytes(size)}, more than an S2I ${script ? 'script' : path === S2I_IGNORE_FILE ? 'ignore file' : 'environment file'} may be`);
          }
          const fileHeader: Headers = { name, type: 'file', size, mode: (header.mode ?? 0o644) & 0o777, mtime: header.mtime };
          if (keep) {
            const content = await buffer(entry);
            output.entry(fileHeader, content);
            if (script) scripts.set(script, content);
            else if (path === S2I_IGNORE_FILE) ignoreText = content.toString('utf8');
            else environmentText = content.toString('utf8');
          } else {
            await pipeline(entry, output.entry(fileHeader));
          }
          break;
        }
        default:
          await skip(`${header.type} entries are not allowed in a build context`);
      }
    }
  })();

  try {
    await Promise.all([pipeline(input, unpack), processing]);
    if (!sawContextDir) {
      throw new SourceError(`contextDir "${options.contextDir}" does not exist in the source; fix contextDir or add the directory`);
    }
    if (scripts.size > 0) {
      output.entry({ name: 'scripts/', type: 'directory', mode: 0o775 });
      for (const [script, content] of scripts) {
        output.entry({ name: `scripts/${script}`, type: 'file', mode: 0o755, size: content.length }, content);
      }
    }
    output.finalize();
    await written;
  } catch (error) {
    unpack.destroy();
    output.destroy();
    await written.catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    if (error instanceof SourceError) throw error;
    throw new SourceError(`the source archive could not be read: ${(error as Error).message}`);
  }

  let result = { tarPath, fileCount, bytes, ignoredCount: 0, contentCount };
  if (ignoreText !== undefined) {
    const ignore = parseS2iIgnore(ignoreText);
    try {
      if (ignore.problems.length > 0) {
        const [problem] = ignore.problems;
        throw new SourceError(`${ignoreFileName(context)} line ${problem.line}: ${problem.message}`, `fix the pattern in ${ignoreFileName(context)}`);
      }
      if (ignore.rules.length > 0) {
        result = await applyIgnore(tarPath, join(dir, 'context-ignored.tar'), ignore, linksByTarget);
        if (result.contentCount === 0 && contentCount > 0) {
          throw new SourceError(
            `the source is empty after .s2iignore: the patterns of ${ignoreFileName(context)} leave out every file`,
            `change ${ignoreFileName(context)} so that it keeps the files the build needs`,
          );
        }
        // As in s2i, a left-out .s2i/environment is not read (its scripts were taken before).
        if (isIgnored(ignore, '.s2i/environment', false)) environmentText = undefined;
      }
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  const parsed = environmentText === undefined ? { variables: {}, problems: [] } : parseEnvironmentFile(environmentText);
  return {
    tarPath: result.tarPath,
    scripts: [...scripts.keys()],
    scriptFiles: scripts,
    environment: parsed.variables,
    environmentProblems: parsed.problems,
    dropped,
    ignoredCount: result.ignoredCount,
    fileCount: result.fileCount,
    bytes: result.bytes,
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

function ignoreFileName(context: string): string {
  return context === '' ? S2I_IGNORE_FILE : `${context}/${S2I_IGNORE_FILE}`;
}

/**
 * Copies the spooled context without what `.s2iignore` leaves out (a second pass over the spool: the file may
 * come anywhere in the source tar, after entries it ignores). The `.s2iignore` file itself stays unless it
 * ignores itself, as in s2i. A left-out file that kept hard links point to is written under the first link's
 * name instead, since on disk the link would keep the content alive.
 */
async function applyIgnore(
  spool: string,
  target: string,
  ignore: S2iIgnore,
  linksByTarget: Map<string, string[]>,
): Promise<{ tarPath: string; fileCount: number; bytes: number; ignoredCount: number; contentCount: number }> {
  const relocated = new Map<string, string>();
  let contentCount = 0;
  let fileCount = 0;
  let bytes = 0;
  let ignoredCount = 0;
  const output = pack();
  const written = pipeline(output, createWriteStream(target));
  const unpack = extract();
  const processing = (async () => {
    for await (const entry of unpack) {
      const header = entry.header;
      const inSource = header.name.startsWith('src/');
      const path = header.name.replace(/^src\/?/, '').replace(/\/+$/, '');
      const isFile = header.type === 'file';
      if (!inSource) {
        // scripts/ from .s2i/bin: s2i installs them before it applies .s2iignore.
        await pipeline(entry, output.entry(header));
        continue;
      }
      if (path !== '' && isIgnored(ignore, path, header.type === 'directory')) {
        ignoredCount += 1;
        const keptLinks = isFile ? (linksByTarget.get(path) ?? []).filter((link) => !isIgnored(ignore, link, false)) : [];
        if (keptLinks.length === 0) {
          entry.resume();
          await new Promise((resolve) => entry.on('end', resolve));
          continue;
        }
        relocated.set(path, keptLinks[0]);
        header.name = `src/${keptLinks[0]}`;
      } else if (header.type === 'link') {
        const linked = (header.linkname ?? '').replace(/^src\//, '');
        const moved = relocated.get(linked);
        if (moved === path) {
          // Already written with the content of the file it pointed to.
          entry.resume();
          await new Promise((resolve) => entry.on('end', resolve));
          continue;
        }
        if (moved !== undefined) header.linkname = `src/${moved}`;
      }
      if (isFile) {
        fileCount += 1;
        bytes += header.size ?? 0;
      }
      if (header.type !== 'directory' && path !== S2I_IGNORE_FILE) contentCount += 1;
      await pipeline(entry, output.entry(header));
    }
  })();
  try {
    await Promise.all([pipeline(createReadStream(spool), unpack), processing]);
    output.finalize();
    await written;
  } catch (error) {
    unpack.destroy();
    output.destroy();
    await written.catch(() => undefined);
    throw new SourceError(`the source could not be filtered through .s2iignore: ${(error as Error).message}`);
  }
  await rm(spool, { force: true });
  return { tarPath: target, fileCount, bytes, ignoredCount, contentCount };
}

function normaliseContextDir(contextDir: string): string {
  const trimmed = contextDir.trim();
  if (trimmed === '' || trimmed === '.' || trimmed === './') return '';
  const normalised = posix.normalize(trimmed).replace(/\/+$/, '');
  if (posix.isAbsolute(normalised) || normalised === '..' || normalised.startsWith('../')) {
    throw new SourceError(`contextDir "${contextDir}" must be a relative path inside the repository`);
  }
  return normalised === '.' ? '' : normalised;
}

function stripComponents(name: string, count: number): string | undefined {
  if (count === 0) return name;
  const parts = name.split('/');
  if (parts.length <= count) return undefined;
  return parts.slice(count).join('/');
}

/** Locates an entry relative to the context dir; undefined when the path itself is unsafe. */
function relativeToContext(name: string, context: string): { inside: boolean; path: string } | undefined {
  if (name.includes('\0') || name.startsWith('/')) return undefined;
  const normalised = posix.normalize(name).replace(/\/+$/, '');
  if (normalised === '..' || normalised.startsWith('../')) return undefined;
  const path = normalised === '.' ? '' : normalised;
  if (context === '') return { inside: true, path };
  if (path === context) return { inside: true, path: '' };
  if (path.startsWith(`${context}/`)) return { inside: true, path: path.slice(context.length + 1) };
  return { inside: false, path };
}

function symlinkStaysInside(path: string, target: string): boolean {
  if (target === '' || target.includes('\0') || posix.isAbsolute(target)) return false;
  const resolved = posix.normalize(posix.join(posix.dirname(path), target));
  return resolved !== '..' && !resolved.startsWith('../');
}

function scriptName(path: string): ScriptName | undefined {
  if (!path.startsWith('.s2i/bin/')) return undefined;
  const name = path.slice('.s2i/bin/'.length);
  return (SCRIPT_NAMES as readonly string[]).includes(name) ? (name as ScriptName) : undefined;
}


/** Formats a byte count for people: 1.5 GiB, 300 MiB. */
export function formatBytes(value: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let index = 0;
  let scaled = value;
  while (scaled >= 1024 && index < units.length - 1) {
    scaled /= 1024;
    index += 1;
  }
  return `${Number.isInteger(scaled) ? scaled : scaled.toFixed(1)} ${units[index]}`;
}
