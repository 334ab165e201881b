import { parseRepoConfig } from '../../src/config/load-repo-config.js';

const BASE = ['builder: registry.example.com/s2i/java:21', 'image: registry.example.com/acme/hello', 'gitops: { repo: acme/cluster-config }'];
const defaults = { repoName: 'hello', defaultBranch: 'main' };

describe('config/schema runtimeImage and runtimeArtifacts', () => {
  it('reads both forms of runtime artifacts', () => {
    const text = [...BASE, 'runtimeImage: registry.example.com/acme/jre:21', 'runtimeArtifacts:', '  - /opt/app-root/app.jar', '  - { source: /opt/app-root/config, destination: etc }'].join('\n');

    const parsed = parseRepoConfig(text, { defaults });

    expect(parsed.ok && [parsed.config.runtimeImage, parsed.config.runtimeArtifacts]).toEqual([
      'registry.example.com/acme/jre:21',
      [
        { source: '/opt/app-root/app.jar', destination: '.' },
        { source: '/opt/app-root/config', destination: 'etc' },
      ],
    ]);
  });

  it.each([
    ['a relative source', 'runtimeArtifacts: [app.jar]', 'runtimeArtifacts[0]', 'the source must be an absolute path'],
    ['a destination out of the work dir', 'runtimeArtifacts: ["/opt/app.jar:../etc"]', 'runtimeArtifacts[0]', "the destination cannot start with '..'"],
    ['artifacts without a runtime image', null, 'runtimeArtifacts', 'runtimeArtifacts needs runtimeImage'],
  ])('refuses %s, on its line', (_name, line, path, message) => {
    const lines = line === null ? [...BASE, 'runtimeArtifacts: [/opt/app.jar]'] : [...BASE, 'runtimeImage: registry.example.com/acme/jre:21', line];

    const parsed = parseRepoConfig(lines.join('\n'), { defaults });

    expect(parsed.ok).toBe(false);
    const problem = !parsed.ok ? parsed.problems[0] : undefined;
    expect(problem?.path).toBe(path);
    expect(problem?.message).toContain(message);
    expect(problem?.line).toBe(line === null ? 4 : 5);
  });
});
