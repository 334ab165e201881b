import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packDirectory } from '../../src/source/pack-directory.js';
import { byName, names, readTar } from './tar-fixtures.js';

describe('source/pack-directory', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 's2i-bot-pack-directory-test-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('packs files and directories with paths relative to the root, sorted, with their content', async () => {
    await mkdir(join(root, 'lib/nested'), { recursive: true });
    await writeFile(join(root, 'package.json'), '{"name":"hello"}');
    await writeFile(join(root, 'lib/a.js'), 'export const a = 1;\n');
    await writeFile(join(root, 'lib/nested/b.js'), 'b');
    await writeFile(join(root, 'README.md'), '# hello');

    const entries = await readTar(packDirectory(root));

    expect(names(entries)).toEqual(['README.md', 'lib/', 'lib/a.js', 'lib/nested/', 'lib/nested/b.js', 'package.json']);
    expect(byName(entries, 'lib/').header.type).toBe('directory');
    expect(byName(entries, 'lib/a.js').header).toMatchObject({ type: 'file', size: 20 });
    expect(byName(entries, 'lib/a.js').content.toString()).toBe('export const a = 1;\n');
    expect(byName(entries, 'package.json').content.toString()).toBe('{"name":"hello"}');
  });

  it('leaves out the top-level .git directory', async () => {
    await mkdir(join(root, '.git/objects'), { recursive: true });
    await writeFile(join(root, '.git/HEAD'), 'ref: refs/heads/main\n');
    await writeFile(join(root, '.gitignore'), 'node_modules\n');
    await writeFile(join(root, 'app.js'), 'x');

    const entries = await readTar(packDirectory(root));

    expect(names(entries)).toEqual(['.gitignore', 'app.js']);
  });

  it('keeps file permission bits, including the executable bit', async () => {
    await mkdir(join(root, '.s2i/bin'), { recursive: true });
    await writeFile(join(root, '.s2i/bin/assemble'), '#!/bin/sh\n');
    await chmod(join(root, '.s2i/bin/assemble'), 0o755);
    await writeFile(join(root, 'private'), 'p');
    await chmod(join(root, 'private'), 0o600);

    const entries = await readTar(packDirectory(root));

    expect(byName(entries, '.s2i/bin/assemble').header.mode).toBe(0o755);
    expect(byName(entries, 'private').header.mode).toBe(0o600);
  });

  it('keeps symlinks as symlinks with their target, without following them', async () => {
    await mkdir(join(root, 'real'));
    await writeFile(join(root, 'real/file'), 'content');
    await symlink('real', join(root, 'alias'));
    await symlink('/etc/passwd', join(root, 'outside'));

    const entries = await readTar(packDirectory(root));

    expect(names(entries)).toEqual(['alias', 'outside', 'real/', 'real/file']);
    expect(byName(entries, 'alias').header).toMatchObject({ type: 'symlink', linkname: 'real' });
    expect(byName(entries, 'outside').header).toMatchObject({ type: 'symlink', linkname: '/etc/passwd' });
    expect(byName(entries, 'outside').content.length).toBe(0);
  });

  it('skips sockets', async () => {
    await writeFile(join(root, 'app.js'), 'x');
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(join(root, 'daemon.sock'), resolve));

    try {
      const entries = await readTar(packDirectory(root));

      expect(names(entries)).toEqual(['app.js']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('packs an empty directory as an empty archive', async () => {
    const entries = await readTar(packDirectory(root));

    expect(entries).toEqual([]);
  });

  it('fails the stream when the directory does not exist', async () => {
    const missing = join(root, 'missing');

    const reading = readTar(packDirectory(missing));

    await expect(reading).rejects.toThrow(/ENOENT/);
  });
});
