import { jest } from '@jest/globals';
import { HTML_BUILDER, inspectImageConfig, removeImages, runInImage } from '../support/docker.js';
import { answerOf, buildOffline, runSeparated, sourceDirectory, tarEntryNames } from './builder-support.js';

jest.setTimeout(90_000);

const SENTENCE = "Really appreciate your star, that's the power of our life.";
const created: string[] = [];

afterAll(async () => {
  await removeImages(...created);
});

describe('templates/builders/html (real engine, offline)', () => {
  it('builds examples/hello-html into an image that serves it, runs as 1001 on PORT 8080', async () => {
    const { result } = await buildOffline(HTML_BUILDER, 'examples/hello-html', created);

    const answer = await answerOf(result.reference);
    expect(answer.status).toBe(200);
    expect(answer.body).toContain(`<p>${SENTENCE}</p>`);
    const config = await inspectImageConfig(result.reference);
    expect(config.User).toBe('1001');
    expect(config.Cmd).toEqual(['/usr/libexec/s2i/run']);
    expect(config.Env).toEqual(expect.arrayContaining(['PORT=8080', 'HOME=/opt/app-root/src']));
  });

  it('serves only DOCUMENT_ROOT of the source, and leaves .s2i out', async () => {
    const source = await sourceDirectory(undefined, {
      'public/index.html': '<p>built site</p>\n',
      'src/page.md': '# not served\n',
      '.s2i/environment': 'DOCUMENT_ROOT=public\n',
    });

    const { result } = await buildOffline(HTML_BUILDER, source.path, created).finally(source.remove);

    expect(await answerOf(result.reference)).toMatchObject({ status: 200, body: '<p>built site</p>\n' });
    const files = await runInImage(result.reference, ['ls', '-A', '/opt/app-root/src']);
    expect(files.output).toBe('index.html\n');
  });

  it('fails with a clear message when DOCUMENT_ROOT is not a directory of the source', async () => {
    const failure = await buildOffline(HTML_BUILDER, 'examples/hello-html', created, { env: { DOCUMENT_ROOT: 'dist' } }).then(
      () => undefined,
      (error: Error) => error,
    );

    expect(failure?.message).toContain("error: DOCUMENT_ROOT 'dist' is not a directory of the source");
  });

  it('save-artifacts writes an empty tar and nothing else: a static site keeps nothing between builds', async () => {
    const saved = await runSeparated(HTML_BUILDER, ['/usr/libexec/s2i/save-artifacts']);

    expect(saved.exitCode).toBe(0);
    expect(await tarEntryNames(saved.stdout)).toEqual([]);
  });

  it('documents its environment variables in usage (the builder image\'s default command)', async () => {
    const usage = await runInImage(HTML_BUILDER, []);

    expect(usage.exitCode).toBe(0);
    for (const name of ['DOCUMENT_ROOT', 'PORT']) expect(usage.output).toContain(name);
  });
});
