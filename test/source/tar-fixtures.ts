import { buffer } from 'node:stream/consumers';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { extract, pack, type Headers } from 'tar-stream';

/** One entry of a hand-made tar: a header and, for files, the content. */
export interface FixtureEntry {
  header: Headers;
  content?: string | Buffer;
}

/** An entry read back from a tar. */
export interface TarEntry {
  header: Headers;
  content: Buffer;
}

/** A file entry (mode 0644 unless given). */
export function file(name: string, content: string | Buffer, mode = 0o644): FixtureEntry {
  return { header: { name, type: 'file', mode }, content };
}

export function dir(name: string, mode = 0o755): FixtureEntry {
  return { header: { name, type: 'directory', mode } };
}

export function symlink(name: string, linkname: string): FixtureEntry {
  return { header: { name, type: 'symlink', linkname } };
}

export function hardlink(name: string, linkname: string, mode = 0o644): FixtureEntry {
  return { header: { name, type: 'link', linkname, mode } };
}

/** A tar stream with exactly these entries, in this order, names written as given (no normalisation). */
export function tarOf(entries: FixtureEntry[]): Readable {
  const archive = pack();
  for (const entry of entries) {
    if (entry.content === undefined) archive.entry({ ...entry.header });
    else archive.entry({ ...entry.header }, entry.content);
  }
  archive.finalize();
  return archive;
}

/** Reads every entry (header and content) of a tar stream. */
export async function readTar(input: Readable): Promise<TarEntry[]> {
  const unpack = extract();
  input.on('error', (error: Error) => unpack.destroy(error));
  input.pipe(unpack);
  const entries: TarEntry[] = [];
  for await (const entry of unpack) {
    entries.push({ header: entry.header, content: await buffer(entry) });
  }
  return entries;
}

export function readTarFile(path: string): Promise<TarEntry[]> {
  return readTar(createReadStream(path));
}

export function names(entries: TarEntry[]): string[] {
  return entries.map((entry) => entry.header.name);
}

export function byName(entries: TarEntry[], name: string): TarEntry {
  const found = entries.find((entry) => entry.header.name === name);
  if (!found) throw new Error(`no entry ${name} in [${names(entries).join(', ')}]`);
  return found;
}
