import { jest } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCommand } from '../../src/cli/build-command.js';
import { UsageError } from '../../src/cli/output.js';
import { buildTestBuilder, engine, removeImages, runInImage, uniqueTag } from '../support/docker.js';
import { recorder } from '../support/output-recorder.js';

jest.setTimeout(60_000);

const RUN_ID = uniqueTag();
const BUILDER = `s2i-bot-test/cli-incremental:${RUN_ID}`;
const REPOSITORY = `127.0.0.1:5000/s2i-bot-test/cli-incremental-${RUN_ID}`;

let dir: string;
const images: string[] = [BUILDER];


async function build(args: string[], line: string) {
  await writeFile(join(dir, 'line.txt'), `${line}\n`);
  const { lines, output } = recorder();
  const result = await buildCommand([dir, '--builder', BUILDER, ...args], engine, output);
  images.push(result.build.reference);
  return { result, lines };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 's2i-bot-cli-incremental-'));
  await buildTestBuilder(
    BUILDER,
    {
      assemble: '#!/bin/sh\nset -e\ncp /tmp/artifacts/history.txt /opt/app/ 2>/dev/null || true\ncat /tmp/src/line.txt >> /opt/app/history.txt\n',
      'save-artifacts': '#!/bin/sh\ncd /opt/app && tar cf - history.txt\n',
      run: '#!/bin/sh\nexec cat /opt/app/history.txt\n',
    },
    ['LABEL io.openshift.s2i.scripts-url=image:///usr/libexec/s2i', 'RUN mkdir -p /opt/app && chown 1001:0 /opt/app', 'USER 1001'],
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await removeImages(...images);
});

describe('cli/build-command --incremental (real engine)', () => {
  it('rebuilds REPO:TAG from the image that tag names now, and says so', async () => {
    const image = `${REPOSITORY}:stable`;
    await build(['--image', image], 'one');

    const { result, lines } = await build(['--image', image, '--incremental'], 'two');

    expect(result.build.incremental).toBe(true);
    expect(lines.at(-1)).toMatch(new RegExp(`^Built ${image.replace(/[.]/g, '\\.')} \\(.+\\) in [\\d.]+ s, incremental from ${image.replace(/[.]/g, '\\.')}$`));
    expect(lines).toContain('==> Restoring build artifacts from ' + image);
    expect(await runInImage(image, [])).toEqual({ exitCode: 0, output: 'one\ntwo\n' });
  });

  it('takes the newest image of the repository when --image has no tag, and --previous-image when given', async () => {
    const repository = `${REPOSITORY}-untagged`;
    const first = await build(['--image', `${repository}:first`], 'one');

    const newest = await build(['--image', repository, '--incremental'], 'two');
    const named = await build(['--image', `${repository}:third`, '--incremental', '--previous-image', first.result.build.reference], 'three');

    expect(newest.result.build.restoredFrom).toBe(first.result.build.reference);
    expect(await runInImage(newest.result.build.reference, [])).toEqual({ exitCode: 0, output: 'one\ntwo\n' });
    expect(await runInImage(named.result.build.reference, [])).toEqual({ exitCode: 0, output: 'one\nthree\n' });
  });

  it('builds clean when --no-incremental comes last', async () => {
    const image = `${REPOSITORY}:clean`;
    await build(['--image', image], 'one');

    const { result, lines } = await build(['--image', image, '--incremental', '--no-incremental'], 'two');

    expect(result.build.incremental).toBe(false);
    expect(lines.filter((line) => line.startsWith('    incremental:') || line.startsWith('==> Restoring'))).toEqual([]);
    expect(await runInImage(image, [])).toEqual({ exitCode: 0, output: 'two\n' });
  });

  it.each([
    [['--runtime-artifact', '/opt/app/dist'], '--runtime-artifact needs --runtime-image'],
    [['--previous-image', 'x:y'], '--previous-image needs --incremental'],
    [['--runtime-image', 'r', '--runtime-artifact', 'dist'], 'runtime artifact "dist" -> ".": the source must be an absolute path'],
  ])('refuses %j', async (args, message) => {
    const outcome = await buildCommand([dir, '--builder', BUILDER, '--image', `${REPOSITORY}:never`, ...args], engine, recorder().output).catch((error: unknown) => error);

    expect(outcome).toBeInstanceOf(UsageError);
    expect((outcome as UsageError).message).toBe(message);
  });
});
