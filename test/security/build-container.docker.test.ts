import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { BUILD_CONTAINER_PREFIX, buildImage, CA_BUNDLE_TARGET } from '../../src/build/build-image.js';
import { buildTestBuilder, docker, engine, leftoverBuildContainers, removeImages, testSettings, uniqueTag } from '../support/docker.js';
import { buildErrorOf } from '../support/rejection.js';

jest.setTimeout(120_000);

const RUN_ID = uniqueTag();
const BUILDER = `s2i-bot-test/isolation:${RUN_ID}`;
const MIB = 1024 * 1024;
const CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

/** Reports what the build container can see and do, then waits to be inspected (the test cancels it). */
const ASSEMBLE = `#!/bin/sh
echo "uid=$(id -u) gid=$(id -g)"
grep -E '^(CapEff|CapPrm|CapBnd|NoNewPrivs):' /proc/self/status
if [ -e /var/run/docker.sock ] || [ -e /run/docker.sock ]; then echo "docker socket: present"; else echo "docker socket: absent"; fi
echo "ca bundle: $(wc -c < ${CA_BUNDLE_TARGET}) bytes"
echo "setuid mode: $(stat -c %a /tmp/src/setuid)"
echo "--- /tmp"
cd /tmp && find . -xdev | sort
echo "--- /"
ls / | sort
echo "--- end"
sleep 600
`;

/** A hostile source, built entry by entry: each entry tries to place or reach something outside /tmp/src. */
function hostileSource(): Readable {
  const pack = tar.pack();
  pack.entry({ name: 'index.html' }, '<h1>hi</h1>');
  pack.entry({ name: '../../evil-parent' }, 'escaped upwards');
  pack.entry({ name: '/evil-absolute' }, 'escaped to the root');
  pack.entry({ name: 'sub/../../evil-dotdot' }, 'escaped through a directory');
  pack.entry({ name: 'null-device', type: 'character-device', devmajor: 1, devminor: 3 });
  pack.entry({ name: 'disk', type: 'block-device', devmajor: 8, devminor: 0 });
  pack.entry({ name: 'pipe', type: 'fifo' });
  pack.entry({ name: 'passwd-link', type: 'link', linkname: '../../../etc/passwd' });
  pack.entry({ name: 'etc-link', type: 'symlink', linkname: '/etc' });
  pack.entry({ name: 'up-link', type: 'symlink', linkname: '../../..' });
  pack.entry({ name: 'up-link/evil-through-symlink' }, 'written through a symlink');
  pack.entry({ name: 'inside-link', type: 'symlink', linkname: 'index.html' });
  pack.entry({ name: 'setuid', mode: 0o4755 }, '#!/bin/sh\n');
  pack.finalize();
  return pack as unknown as Readable;
}

let caDir: string;

beforeAll(async () => {
  await buildTestBuilder(BUILDER, { assemble: ASSEMBLE, run: '#!/bin/sh\nexit 0\n' }, ['LABEL io.openshift.s2i.scripts-url=image:///usr/libexec/s2i', 'USER 1001']);
  caDir = await mkdtemp(join(tmpdir(), 's2i-bot-ca-'));
  await writeFile(join(caDir, 'ca.pem'), CA_PEM);
});

afterAll(async () => {
  await removeImages(BUILDER);
  await rm(caDir, { recursive: true, force: true });
});

describe('security: the build container (real engine)', () => {
  it('runs assemble unprivileged, without capabilities, host mounts or the Docker socket, with limits, and with a neutralised source', async () => {
    const tag = uniqueTag();
    const settings = testSettings({ memoryBytes: 256 * MIB, cpus: 0.5, pidsLimit: 128, network: 'none', caBundle: join(caDir, 'ca.pem') });
    const lines: string[] = [];
    const cancel = new AbortController();
    let reported: () => void = () => undefined;
    const assembleReported = new Promise<void>((resolve) => (reported = resolve));

    const building = buildImage(engine, settings, {
      builder: BUILDER,
      repository: `s2i-bot-test/isolation-out-${RUN_ID}`,
      tag,
      source: hostileSource,
      signal: cancel.signal,
      onEvent: (event) => {
        if (event.kind !== 'log') return;
        lines.push(event.line);
        if (event.line === '--- end') reported();
      },
    });
    building.catch(() => undefined);
    await assembleReported;
    const [summary] = await docker.listContainers({ filters: { name: [`${BUILD_CONTAINER_PREFIX}${tag}-`] } });
    const inspected = await docker.getContainer(summary.Id).inspect();
    cancel.abort();
    const error = await buildErrorOf(building);

    // What the engine was told.
    const host = inspected.HostConfig;
    expect(host.Privileged).toBe(false);
    expect(host.CapDrop).toEqual(['ALL']);
    expect(host.CapAdd ?? []).toEqual([]);
    expect(host.SecurityOpt).toEqual(['no-new-privileges']);
    expect([host.Memory, host.NanoCpus, host.PidsLimit]).toEqual([256 * MIB, 0.5e9, 128]);
    expect(host.NetworkMode).toBe('none');
    expect(host.Binds ?? []).toEqual([]);
    expect(host.Mounts).toEqual([{ Type: 'bind', Source: join(caDir, 'ca.pem'), Target: CA_BUNDLE_TARGET, ReadOnly: true }]);
    expect(inspected.Mounts.map((mount) => mount.Source)).not.toContainEqual(expect.stringMatching(/docker\.sock/));
    expect(inspected.Config.User).toBe('1001');
    expect([host.PidMode, host.IpcMode, host.UsernsMode].map((mode) => mode || 'private')).toEqual(['private', 'private', 'private']);

    // What assemble saw from inside.
    const report = lines.slice(0, lines.indexOf('--- end'));
    expect(report).toEqual(
      expect.arrayContaining([
        'uid=1001 gid=0',
        'CapPrm:\t0000000000000000',
        'CapEff:\t0000000000000000',
        'CapBnd:\t0000000000000000',
        'NoNewPrivs:\t1',
        'docker socket: absent',
        `ca bundle: ${CA_PEM.length} bytes`,
        'setuid mode: 755',
      ]),
    );
    const tmp = report.slice(report.indexOf('--- /tmp') + 1, report.indexOf('--- /'));
    // The entry under the left-out symlink up-link lands in a plain directory of that name, inside src.
    expect(tmp).toEqual(['.', './src', './src/index.html', './src/inside-link', './src/setuid', './src/up-link', './src/up-link/evil-through-symlink']);
    const root = report.slice(report.indexOf('--- /') + 1);
    expect(root).not.toContain('evil-absolute');
    expect(root).not.toContain('evil-parent');
    expect(root).not.toContain('evil-dotdot');

    // What the log said about each entry left out, and that the build ended cleanly.
    expect(lines.filter((line) => line.startsWith('warning: left out '))).toEqual([
      'warning: left out ../../evil-parent: path leaves the source tree (absolute or ..)',
      'warning: left out /evil-absolute: path leaves the source tree (absolute or ..)',
      'warning: left out sub/../../evil-dotdot: path leaves the source tree (absolute or ..)',
      'warning: left out null-device: character-device entries are not allowed in a build context',
      'warning: left out disk: block-device entries are not allowed in a build context',
      'warning: left out pipe: fifo entries are not allowed in a build context',
      'warning: left out passwd-link: hard link to ../../../etc/passwd points outside the source tree',
      'warning: left out etc-link: symlink to /etc points outside the source tree',
      'warning: left out up-link: symlink to ../../.. points outside the source tree',
    ]);
    expect(error.reason).toBe('the build was cancelled');
    expect(await leftoverBuildContainers(tag)).toEqual([]);
  });
});
