import type { Readable } from 'node:stream';
import tar from 'tar-stream';

/**
 * A tar of `scripts/<name>` files (mode 0755) under a `scripts/` directory, owned by `owner`, to extract where
 * the container expects them (`<destination>` for a build, `WORKDIR` for a runtime image).
 */
export function scriptsTar(files: ReadonlyMap<string, Buffer>, owner: { uid: number; gid: number } = { uid: 0, gid: 0 }): Readable {
  const pack = tar.pack();
  pack.entry({ name: 'scripts/', type: 'directory', mode: 0o755, uid: owner.uid, gid: owner.gid });
  for (const [name, content] of files) pack.entry({ name: `scripts/${name}`, type: 'file', mode: 0o755, uid: owner.uid, gid: owner.gid }, content);
  pack.finalize();
  return pack as unknown as Readable;
}
