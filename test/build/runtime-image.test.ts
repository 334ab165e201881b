import { checkRuntimeArtifact, parseAssembleInputFiles, parseRuntimeArtifact, RuntimeArtifactError } from '../../src/build/runtime-image.js';
import { cacheTag } from '../../src/build/incremental-artifacts.js';

function problemOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(RuntimeArtifactError);
    return (error as Error).message;
  }
  throw new Error('accepted, but a RuntimeArtifactError was expected');
}

describe('build/runtime-image', () => {
  it.each([
    ['/tmp/app.war', { source: '/tmp/app.war', destination: '.' }],
    ['/tmp/app.war:.', { source: '/tmp/app.war', destination: '.' }],
    ['/tmp/app.war:app/dist', { source: '/tmp/app.war', destination: 'app/dist' }],
    ['/tmp/app-0.1.war:app.war', { source: '/tmp/app-0.1.war', destination: 'app.war' }],
    ['/opt/data/', { source: '/opt/data/', destination: '.' }],
    [' /opt/data:lib ', { source: '/opt/data', destination: 'lib' }],
  ])('reads the runtime artifact mapping %s as docs/runtime_image.md does', (value, expected) => {
    expect(parseRuntimeArtifact(value)).toEqual(expected);
  });

  it.each([
    ['/opt/data/*.jar', 'runtime artifact "/opt/data/*.jar" -> ".": wildcards are not supported; name the file or its directory'],
    ['tmp/app.war', 'runtime artifact "tmp/app.war" -> ".": the source must be an absolute path'],
    ['/tmp/app.war:/srv', 'runtime artifact "/tmp/app.war" -> "/srv": the destination must be a relative path'],
    ['/tmp/app.war:../etc', `runtime artifact "/tmp/app.war" -> "../etc": the destination cannot start with '..'`],
    ['/tmp/app.war:..', `runtime artifact "/tmp/app.war" -> "..": the destination cannot start with '..'`],
    ['/', 'runtime artifact "/" -> ".": the source must not be the root directory'],
    ['/a:b:c', '"/a:b:c" is not a runtime artifact mapping; write it as /absolute/source[:relative/destination]'],
    [':lib', '":lib" is not a runtime artifact mapping; write it as /absolute/source[:relative/destination]'],
  ])('refuses %s', (value, message) => {
    expect(problemOf(() => parseRuntimeArtifact(value))).toBe(message);
  });

  it('refuses a destination that climbs out after normalising, given as an object', () => {
    expect(problemOf(() => checkRuntimeArtifact({ source: '/tmp/x', destination: 'a/../../b' }))).toBe(
      `runtime artifact "/tmp/x" -> "a/../../b": the destination cannot start with '..'`,
    );
  });

  it('reads the io.openshift.s2i.assemble-input-files label: mappings separated by semicolons', () => {
    expect(parseAssembleInputFiles('/tmp/app.war:app;/opt/data; ;')).toEqual([
      { source: '/tmp/app.war', destination: 'app' },
      { source: '/opt/data', destination: '.' },
    ]);
  });

  it('refuses a label that names a scripts URL instead of files', () => {
    expect(problemOf(() => parseAssembleInputFiles('image:///usr/libexec/s2i'))).toBe('runtime artifact "image" -> "///usr/libexec/s2i": the source must be an absolute path');
  });
});

describe('build/incremental-artifacts cacheTag', () => {
  it('appends -s2i-cache and keeps within the 128 characters a tag may have', () => {
    expect(cacheTag('a'.repeat(40))).toBe(`${'a'.repeat(40)}-s2i-cache`);
    expect(cacheTag('b'.repeat(128))).toBe(`${'b'.repeat(118)}-s2i-cache`);
  });
});
