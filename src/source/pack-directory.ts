import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack, type Pack } from 'tar-stream';

/** Directory names never sent to a builder. */
const EXCLUDED = new Set(['.git']);

/**
 * Streams a directory as a tar (paths relative to it), the way a source tarball arrives from GitHub.
 * Symlinks stay symlinks (the sanitiser decides whether they are safe); sockets and devices are skipped.
 */
export function packDirectory(root: string): Readable {
  const archive = pack();
  walk(archive, root, '')
    .then(() => archive.finalize())
    .catch((error: unknown) => archive.destroy(error as Error));
  return archive;
}

async function walk(archive: Pack, root: string, relative: string): Promise<void> {
  const entries = await readdir(join(root, relative), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (EXCLUDED.has(entry.name) && relative === '') continue;
    const name = relative === '' ? entry.name : `${relative}/${entry.name}`;
    const path = join(root, name);
    const stats = await lstat(path);
    if (stats.isDirectory()) {
      archive.entry({ name: `${name}/`, type: 'directory', mode: stats.mode & 0o7777, mtime: stats.mtime });
      await walk(archive, root, name);
    } else if (stats.isSymbolicLink()) {
      archive.entry({ name, type: 'symlink', linkname: await readlink(path), mtime: stats.mtime });
    } else if (stats.isFile()) {
      const sink = archive.entry({ name, type: 'file', size: stats.size, mode: stats.mode & 0o7777, mtime: stats.mtime });
      await pipeline(createReadStream(path), sink);
    }
  }
}
