import { jest } from '@jest/globals';
import { inspectImageConfig, removeImages, runInImage } from '../support/docker.js';
import { answerOf, buildOffline, carriedArtifacts, PYTHON_BUILDER, runSeparated, sourceDirectory, tarEntryNames, type SourceFiles } from './builder-support.js';

jest.setTimeout(90_000);

const SENTENCE = "Really appreciate your star, that's the power of our life.";
const created: string[] = [];

// A pure-Python wheel, "greeting" 1.0, whose greeting.server module answers GET / on $PORT.
const WHEEL_FILES: Record<string, string> = {
  'greeting/__init__.py': 'TEXT = "hello from a vendored wheel"\n',
  'greeting/server.py': [
    'import os',
    'from http.server import BaseHTTPRequestHandler, HTTPServer',
    'from greeting import TEXT',
    'class Handler(BaseHTTPRequestHandler):',
    '    def do_GET(self):',
    '        body = (TEXT + "\\n").encode()',
    '        self.send_response(200)',
    '        self.send_header("content-length", str(len(body)))',
    '        self.end_headers()',
    '        self.wfile.write(body)',
    'HTTPServer(("0.0.0.0", int(os.environ["PORT"])), Handler).serve_forever()',
    '',
  ].join('\n'),
  'greeting-1.0.dist-info/METADATA': 'Metadata-Version: 2.1\nName: greeting\nVersion: 1.0\n',
  'greeting-1.0.dist-info/WHEEL': 'Wheel-Version: 1.0\nGenerator: s2i-bot-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n',
};
// Zipped by the builder's own Python, written to stdout as base64.
const MAKE_WHEEL = `
import base64, io, json, sys, zipfile
files = json.loads(sys.argv[1])
files["greeting-1.0.dist-info/RECORD"] = "".join(f"{name},,\\n" for name in [*files, "greeting-1.0.dist-info/RECORD"])
buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w") as wheel:
    for name, text in files.items():
        wheel.writestr(name, text)
print(base64.b64encode(buffer.getvalue()).decode())
`;

/** The offline app: requirements served only from wheels/ in the source, run as APP_MODULE. */
async function wheelApp(): Promise<SourceFiles> {
  const made = await runInImage(PYTHON_BUILDER, ['python', '-c', MAKE_WHEEL, JSON.stringify(WHEEL_FILES)]);
  expect(made.exitCode).toBe(0);
  return {
    'requirements.txt': 'greeting==1.0\n',
    'wheels/greeting-1.0-py3-none-any.whl': Buffer.from(made.output.trim(), 'base64'),
    '.s2i/environment': 'PIP_NO_INDEX=1\nPIP_FIND_LINKS=wheels\nAPP_MODULE=greeting.server\n',
  };
}

afterAll(async () => {
  await removeImages(...created);
});

describe('templates/builders/python (real engine, offline)', () => {
  it('builds examples/hello-python into an image that answers, runs as 1001 with the venv first in PATH', async () => {
    const { result, lines } = await buildOffline(PYTHON_BUILDER, 'examples/hello-python', created);

    expect(lines).toContain('---> No requirements.txt, nothing to install');
    expect(await answerOf(result.reference)).toEqual({ status: 200, body: `${SENTENCE}\n` });
    const config = await inspectImageConfig(result.reference);
    expect(config.User).toBe('1001');
    expect(config.Cmd).toEqual(['/usr/libexec/s2i/run']);
    expect(config.WorkingDir).toBe('/opt/app-root/src');
    expect(config.Env).toEqual(
      expect.arrayContaining(['APP_FILE=app.py', 'PORT=8080', 'VIRTUAL_ENV=/opt/app-root/venv', 'PIP_CACHE_DIR=/opt/app-root/pip-cache', 'PYTHONUNBUFFERED=1']),
    );
    expect(config.Env?.find((entry) => entry.startsWith('PATH='))).toMatch(/^PATH=\/opt\/app-root\/venv\/bin:/);
  });

  describe('an app whose requirements come from wheels in its source', () => {
    let app: SourceFiles;
    let first: Awaited<ReturnType<typeof buildOffline>>;
    let artifacts: Buffer;

    beforeAll(async () => {
      app = await wheelApp();
      const source = await sourceDirectory(undefined, app);
      first = await buildOffline(PYTHON_BUILDER, source.path, created).finally(source.remove);
      const saved = await runSeparated(first.result.reference, ['/usr/libexec/s2i/save-artifacts']);
      expect(saved.exitCode).toBe(0);
      artifacts = saved.stdout;
    });

    it('installs them with pip without an index and runs APP_MODULE', async () => {
      expect(first.lines).toContain('---> Installing dependencies with pip install -r requirements.txt');
      expect(first.lines.some((line) => /^Successfully installed greeting-1\.0$/.test(line))).toBe(true);
      expect(await answerOf(first.result.reference)).toEqual({ status: 200, body: 'hello from a vendored wheel\n' });
    });

    it('save-artifacts writes a tar of the pip cache and the venv to stdout, and nothing else', async () => {
      const names = await tarEntryNames(artifacts);

      expect(names).toContain('pip-cache/');
      expect(names).toContain('venv/.s2i-requirements-hash');
      expect(names).toContain('venv/lib/python3.11/site-packages/greeting/__init__.py');
      expect(names.filter((name) => !name.startsWith('pip-cache/') && !name.startsWith('venv/'))).toEqual([]);
    });

    it('reuses the restored venv without running pip when the requirements are unchanged', async () => {
      const source = await sourceDirectory(undefined, { ...app, ...carriedArtifacts(artifacts) });

      const { result, lines } = await buildOffline(PYTHON_BUILDER, source.path, created).finally(source.remove);

      expect(lines).toContain('---> Restoring the pip cache from the previous build');
      expect(lines).toContain('---> Requirements and install settings unchanged since the restored virtual environment was installed: skipping pip install');
      expect(lines.filter((line) => line.includes('pip install -r'))).toEqual([]);
      expect(await answerOf(result.reference)).toEqual({ status: 200, body: 'hello from a vendored wheel\n' });
    });

    it('builds incrementally through the engine: restores the venv from the previous image and skips pip', async () => {
      const source = await sourceDirectory(undefined, app);

      const { result, lines } = await buildOffline(PYTHON_BUILDER, source.path, created, { previousImage: first.result.reference }).finally(source.remove);

      expect(lines.some((line) => line.startsWith(`incremental: restored `) && line.endsWith(` from ${first.result.reference} into /tmp/artifacts`))).toBe(true);
      expect(lines).toContain('---> Requirements and install settings unchanged since the restored virtual environment was installed: skipping pip install');
      expect(result.incremental).toBe(true);
      expect(await answerOf(result.reference)).toEqual({ status: 200, body: 'hello from a vendored wheel\n' });
    });

    it('installs into a fresh venv when the requirements changed, so removed packages do not linger', async () => {
      const source = await sourceDirectory(undefined, { ...app, ...carriedArtifacts(artifacts), 'requirements.txt': '# nothing needed any more\n' });

      const { result, lines } = await buildOffline(PYTHON_BUILDER, source.path, created).finally(source.remove);

      expect(lines).toContain('---> Requirements or install settings changed: installing into a fresh virtual environment');
      const listed = await runInImage(result.reference, ['python', '-c', 'import importlib.util; print(importlib.util.find_spec("greeting"))']);
      expect(listed.output).toBe('None\n');
    });
  });

  it('documents its environment variables in usage (the builder image\'s default command)', async () => {
    const usage = await runInImage(PYTHON_BUILDER, []);

    expect(usage.exitCode).toBe(0);
    for (const name of ['PIP_INSTALL_ARGS', 'PIP_FIND_LINKS', 'PIP_NO_INDEX', 'PIP_INDEX_URL', 'APP_FILE', 'APP_MODULE', 'PORT']) expect(usage.output).toContain(name);
  });
});
