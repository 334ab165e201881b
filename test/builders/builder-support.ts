import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import tar from 'tar-stream';
import { buildImage, type BuildResult } from '../../src/build/build-image.js';
import { runService, waitForHttp } from '../../src/docker/run-service.js';
import { packDirectory } from '../../src/source/pack-directory.js';
import { docker, engine, testSettings, uniqueTag } from '../support/docker.js';

/** The bundled Python builder, built by `.ci/images` from `templates/builders/python`. */
export const PYTHON_BUILDER = 's2i-bot/builder-python:local';

/** Output repository of the bundled-builder tests. */
const OUTPUT = 's2i-bot-test/bundled';

export interface SampleBuild {
  result: BuildResult;
  /** Lines assemble wrote, stdout and stderr together. */
  lines: string[];
}

export interface BuildOptions {
  env?: Record<string, string>;
  /** Build incrementally from this image: the engine runs its save-artifacts and restores the output. */
  previousImage?: string;
}

/**
 * Builds a source directory with a builder into a tag of its own, with no network in the build container: every
 * sample must build offline. The image reference is added to `created` for the test's clean-up.
 */
export async function buildOffline(builder: string, directory: string, created: string[], options: BuildOptions = {}): Promise<SampleBuild> {
  const lines: string[] = [];
  const tag = uniqueTag();
  created.push(`${OUTPUT}:${tag}`);
  const result = await buildImage(engine, testSettings({ network: 'none' }), {
    builder,
    repository: OUTPUT,
    tag,
    env: options.env,
    ...(options.previousImage ? { incremental: true, previousImage: options.previousImage } : {}),
    source: () => packDirectory(directory),
    onEvent: (event) => event.kind === 'log' && lines.push(event.line),
  }).catch((error: unknown) => {
    throw new Error(`building ${directory} with ${builder} failed: ${(error as Error).message}; its log:\n${lines.join('\n')}`, { cause: error });
  });
  return { result, lines };
}

/** Runs an image as a service on its port 8080 and returns its answer to `GET /`. */
export async function answerOf(reference: string): Promise<{ status: number; body: string }> {
  const service = await runService(engine, reference, 8080);
  try {
    return await waitForHttp(service.hostPort, '/');
  } finally {
    await service.stop();
  }
}

/**
 * Runs a command in a fresh container of `image` (no network) and returns what it wrote to stdout, as bytes, apart
 * from stderr: save-artifacts must write its tar, and nothing else, to stdout. Read from an attached stream, as the
 * engine reads it: the container log would pass binary output through the log driver's text lines.
 */
export async function runSeparated(image: string, cmd: string[]): Promise<{ exitCode: number; stdout: Buffer; stderr: string }> {
  const container = await docker.createContainer({ Image: image, Cmd: cmd, AttachStdout: true, AttachStderr: true, HostConfig: { NetworkMode: 'none' } });
  try {
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    docker.modem.demuxStream(stream, stdout, stderr);
    const collected = Promise.all([buffer(stdout), buffer(stderr)]);
    stream.on('end', () => (stdout.end(), stderr.end()));
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const [out, err] = await collected;
    return { exitCode: StatusCode, stdout: out, stderr: err.toString('utf8') };
  } finally {
    await container.remove({ force: true });
  }
}

/**
 * Names of the entries of the tar archive `bytes`. Rejects anything but a whole archive: text before it fails the
 * header checksum, text after it fails the same way or leaves the length off the 512-byte blocks.
 */
export async function tarEntryNames(bytes: Buffer): Promise<string[]> {
  if (bytes.length === 0 || bytes.length % 512 !== 0) throw new Error(`${bytes.length} bytes is not a whole number of tar blocks`);
  const names: string[] = [];
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    names.push(header.name);
    stream.on('end', next);
    stream.resume();
  });
  await new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve);
    extract.on('error', reject);
    Readable.from([bytes]).pipe(extract);
  });
  return names;
}

/** File contents of a test source: text, bytes, or either with a mode. */
export type SourceFiles = Record<string, string | Buffer | { content: string | Buffer; mode: number }>;

/** A temporary source directory: a copy of `from` (if given) with `files` written over it. */
export async function sourceDirectory(from: string | undefined, files: SourceFiles): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 's2i-bot-builder-'));
  if (from) await cp(from, path, { recursive: true });
  for (const [name, value] of Object.entries(files)) {
    const { content, mode } = typeof value === 'string' || Buffer.isBuffer(value) ? { content: value, mode: 0o644 } : value;
    await mkdir(dirname(join(path, name)), { recursive: true });
    await writeFile(join(path, name), content, { mode });
  }
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Where the previous build's artifacts ride along in the source of an emulated incremental build. */
const CARRIED_ARTIFACTS = '.previous-artifacts.tar';

/**
 * Source files that make a build incremental the way the s2i contract defines it, without the engine's help: an
 * `.s2i/bin/assemble` puts the previous image's save-artifacts output into /tmp/artifacts, then runs the builder's
 * own assemble. This tests the builders' side of the contract on its own.
 */
export function carriedArtifacts(saveArtifactsOutput: Buffer): SourceFiles {
  return {
    [CARRIED_ARTIFACTS]: saveArtifactsOutput,
    '.s2i/bin/assemble': {
      mode: 0o755,
      content: [
        '#!/bin/sh',
        'set -e',
        'mkdir -p /tmp/artifacts',
        `tar -xf /tmp/src/${CARRIED_ARTIFACTS} -C /tmp/artifacts`,
        `rm -f /tmp/src/${CARRIED_ARTIFACTS}`,
        'exec /usr/libexec/s2i/assemble',
        '',
      ].join('\n'),
    },
  };
}
