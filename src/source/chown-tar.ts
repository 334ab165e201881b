import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';

/**
 * Re-packs a tar stream with every entry owned by `uid:gid`, so files extracted by the Docker engine belong
 * to the user that will run `assemble` (the engine applies tar header ownership as is).
 */
export function chownTar(input: Readable, owner: { uid: number; gid: number }): Readable {
  const extract = tar.extract();
  const pack = tar.pack();
  extract.on('entry', (header, stream, next) => {
    // Only these fields are carried over: pax records of the input would override the new owner.
    const { name, type, mode, mtime, size, linkname } = header;
    const target = pack.entry({ name, type, mode, mtime, size, linkname, uid: owner.uid, gid: owner.gid }, (error) => {
      if (error) extract.destroy(error);
      else next();
    });
    stream.pipe(target);
  });
  extract.on('finish', () => pack.finalize());
  pipeline(input, extract).catch((error: Error) => pack.destroy(error));
  return pack;
}
