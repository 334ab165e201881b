import { jest } from '@jest/globals';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import tar from 'tar-stream';
import type { ContainerSpec } from '../../src/docker/container-engine.js';
import { BASE_BUSYBOX, docker, engine, removeImages, uniqueTag } from '../support/docker.js';

jest.setTimeout(60_000);

const RUN_ID = uniqueTag();
const containers: string[] = [];

function spec(cmd: string[]): ContainerSpec {
  return {
    name: `s2i-bot-engine-test-${RUN_ID}-${containers.length}`,
    image: BASE_BUSYBOX,
    entrypoint: ['/usr/bin/env'],
    cmd,
    user: '',
    env: [],
    limits: { memoryBytes: 256 * 1024 * 1024, nanoCpus: 1e9, pidsLimit: 64, network: 'none' },
    readOnlyMounts: [],
    discardLogs: true,
  };
}

async function created(cmd: string[]): Promise<string> {
  const id = await engine.createContainer(spec(cmd));
  containers.push(id);
  return id;
}

/** A sink that takes its time, so the container has to wait for it. */
function slowSink(): { sink: Writable; received: () => Buffer } {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    highWaterMark: 16 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      setImmediate(callback);
    },
  });
  return { sink, received: () => Buffer.concat(chunks) };
}

afterAll(async () => {
  for (const id of containers) await engine.removeContainer(id);
});

describe('docker/docker-engine (real engine)', () => {
  it('streams a large stdout into a slow writer intact, with stderr apart, and ends the writer', async () => {
    const id = await created(['sh', '-c', 'dd if=/dev/urandom of=/tmp/blob bs=1048576 count=16 2>/dev/null; md5sum /tmp/blob | cut -d" " -f1 >&2; cat /tmp/blob']);
    const { sink, received } = slowSink();
    const stderr: Buffer[] = [];
    const finished = new Promise((resolve) => sink.on('finish', resolve));

    const result = await engine.runWithStdout(id, sink, (chunk) => stderr.push(chunk), 30_000);

    await finished;
    expect(result).toEqual({ exitCode: 0, timedOut: false, cancelled: false });
    expect(received().length).toBe(16 * 1024 * 1024);
    expect(createHash('md5').update(received()).digest('hex')).toBe(Buffer.concat(stderr).toString('utf8').trim());
  });

  it('lets the container finish when the writer fails part way', async () => {
    const id = await created(['sh', '-c', 'head -c 4194304 /dev/zero; echo done >&2']);
    let written = 0;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        written += chunk.length;
        callback(written > 65536 ? new Error('disk full') : null);
      },
    });
    sink.on('error', () => undefined);
    const stderr: Buffer[] = [];

    const result = await engine.runWithStdout(id, sink, (chunk) => stderr.push(chunk), 30_000);

    expect(result.exitCode).toBe(0);
    expect(Buffer.concat(stderr).toString('utf8')).toBe('done\n');
    expect(sink.destroyed).toBe(true);
  });

  it('stops a container that outlives the timeout', async () => {
    const id = await created(['sleep', '30']);
    const { sink } = slowSink();

    const result = await engine.runWithStdout(id, sink, () => undefined, 1_000);

    expect(result.timedOut).toBe(true);
    expect(result.exitCode).not.toBe(0);
  });

  it('reports the exit code of processes that end at once, every time', async () => {
    const codes: number[] = [];

    for (let round = 0; round < 10; round += 1) {
      const id = await created(['sh', '-c', `exit ${round}`]);
      codes.push((await engine.run(id, () => undefined, 10_000)).exitCode);
    }

    expect(codes).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('archives a path of a stopped container named by its last component, and answers undefined for a missing one', async () => {
    const id = await created(['sh', '-c', 'mkdir -p /opt/out/dist && echo built > /opt/out/dist/app']);
    await engine.run(id, () => undefined, 10_000);

    const archive = await engine.getArchive(id, '/opt/out/dist');
    const missing = await engine.getArchive(id, '/opt/out/nothing');

    const entries: string[] = [];
    const extract = tar.extract();
    archive?.pipe(extract);
    for await (const entry of extract) entries.push(`${entry.header.name}=${(await buffer(entry)).toString('utf8')}`);
    expect(entries).toEqual(['dist/=', 'dist/app=built\n']);
    expect(missing).toBeUndefined();
  });

  it('lists the images of a repository, newest first, with only that repository\'s tags', async () => {
    const repository = `s2i-bot-test/engine-list-${RUN_ID}`;
    const image = docker.getImage(BASE_BUSYBOX);
    await image.tag({ repo: repository, tag: 'old' });
    const id = await created(['sh', '-c', 'echo newer > /newer']);
    await engine.run(id, () => undefined, 10_000);
    await engine.commit(id, { repository, tag: 'new', cmd: ['sh'], entrypoint: null, user: '', env: [], labels: {}, workingDir: '' });

    try {
      const images = await engine.listImages(repository);

      expect(images.map((entry) => entry.tags)).toEqual([[`${repository}:new`], [`${repository}:old`]]);
      expect(await engine.listImages(`${repository}-none`)).toEqual([]);
    } finally {
      await removeImages(`${repository}:new`, `${repository}:old`);
    }
  });
});
