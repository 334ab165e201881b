import { Readable } from 'node:stream';
import { chownTar } from '../../src/source/chown-tar.js';
import { dir, file, hardlink, names, readTar, symlink, tarOf, type FixtureEntry } from './tar-fixtures.js';

describe('source/chown-tar', () => {
  it('re-owns every entry and keeps names, types, modes, link targets and contents', async () => {
    const big = Buffer.alloc(200 * 1024, 7);
    const entries: FixtureEntry[] = [
      { header: { name: 'src/', type: 'directory', mode: 0o775, uid: 0, gid: 0, uname: 'root', gname: 'root' } },
      { header: { name: 'src/app.js', type: 'file', mode: 0o644, uid: 501, gid: 20, uname: 'dev', gname: 'staff' }, content: 'console.log(1);\n' },
      { header: { name: 'src/big.bin', type: 'file', mode: 0o600, uid: 3, gid: 4 }, content: big },
      { header: { name: 'src/empty', type: 'file', mode: 0o644, uid: 3, gid: 4 }, content: '' },
      { header: { name: 'src/link', type: 'symlink', linkname: 'app.js', mode: 0o777, uid: 9, gid: 9 } },
      { header: { name: 'src/hard', type: 'link', linkname: 'src/app.js', mode: 0o644, uid: 9, gid: 9 } },
      { header: { name: 'scripts/assemble', type: 'file', mode: 0o755 }, content: '#!/bin/sh\n' },
    ];

    const output = await readTar(chownTar(tarOf(entries), { uid: 1001, gid: 0 }));

    expect(names(output)).toEqual(['src/', 'src/app.js', 'src/big.bin', 'src/empty', 'src/link', 'src/hard', 'scripts/assemble']);
    for (const { header } of output) {
      expect({ name: header.name, uid: header.uid, gid: header.gid, uname: header.uname, gname: header.gname }).toEqual({
        name: header.name,
        uid: 1001,
        gid: 0,
        uname: '',
        gname: '',
      });
    }
    expect(output.map((entry) => entry.header.type)).toEqual(['directory', 'file', 'file', 'file', 'symlink', 'link', 'file']);
    expect(output.map((entry) => entry.header.mode)).toEqual([0o775, 0o644, 0o600, 0o644, 0o777, 0o644, 0o755]);
    expect(output[1].content.toString()).toBe('console.log(1);\n');
    expect(output[2].content.equals(big)).toBe(true);
    expect(output[3].content.length).toBe(0);
    expect(output[4].header.linkname).toBe('app.js');
    expect(output[5].header.linkname).toBe('src/app.js');
    expect(output[6].content.toString()).toBe('#!/bin/sh\n');
  });

  it('keeps long and non-ASCII names intact', async () => {
    const long = `src/${'deep/'.repeat(30)}file.txt`;
    const entries = [dir('src/'), file(long, 'deep'), file('src/café.txt', 'crème'), symlink('src/lien', 'café.txt'), hardlink('src/h', long)];

    const output = await readTar(chownTar(tarOf(entries), { uid: 5, gid: 6 }));

    expect(names(output)).toEqual(['src/', long, 'src/café.txt', 'src/lien', 'src/h']);
    expect(output[1].content.toString()).toBe('deep');
    expect(output[2].content.toString()).toBe('crème');
    expect(output[4].header.linkname).toBe(long);
    expect(output.every((entry) => entry.header.uid === 5 && entry.header.gid === 6)).toBe(true);
  });

  it('passes an empty archive through', async () => {
    const output = await readTar(chownTar(tarOf([]), { uid: 1, gid: 1 }));

    expect(output).toEqual([]);
  });

  it('fails the output stream when the input is not a tar', async () => {
    const garbage = Readable.from([Buffer.alloc(1024, 0x41)]);

    const reading = readTar(chownTar(garbage, { uid: 1, gid: 1 }));

    await expect(reading).rejects.toThrow(/Invalid tar header/);
  });
});
