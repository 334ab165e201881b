import type { ConfigRepo, ConfigRepoWrite, ReadFile, WriteOutcome } from '../../src/gitops/config-repo.js';
import { ConfigRepoError } from '../../src/gitops/config-repo.js';
import { DryRunConfigRepo } from '../../src/gitops/dry-run-config-repo.js';

/** A config repo with one policy file that fails the test if anything is written. */
class ReadOnlyRepo implements ConfigRepo {
  readonly description = 'acme/cluster-config@main';
  readonly reads: string[] = [];

  async readFile(path: string): Promise<string | undefined> {
    this.reads.push(path);
    return path === '.github/s2i-policy.yml' ? 'allow: []\n' : undefined;
  }

  write(_change: ConfigRepoWrite, _check?: (read: ReadFile) => Promise<void>): Promise<WriteOutcome> {
    throw new Error('a dry run wrote to the config repo');
  }
}

const change: ConfigRepoWrite = {
  files: [{ path: 'apps/hello/production/deployment.yaml', content: 'kind: Deployment\n' }],
  message: 'deploy(production): acme/hello@5a1b2c3 Say hello\n\nbody',
  environment: 'production',
  sourceRepo: 'acme/hello',
};

describe('gitops/dry-run-config-repo', () => {
  it('runs the policy check against the real repo, logs what it would commit, and writes nothing', async () => {
    const inner = new ReadOnlyRepo();
    const logged: Array<[string, string[]]> = [];
    const repo = new DryRunConfigRepo(inner, (message, files) => logged.push([message, files]));
    let policy: string | undefined;

    const outcome = await repo.write(change, async (read) => void (policy = await read('.github/s2i-policy.yml')));

    expect(outcome).toEqual({ status: 'dry-run', attempts: 0 });
    expect(policy).toBe('allow: []\n');
    expect(logged).toEqual([['dry run: would commit "deploy(production): acme/hello@5a1b2c3 Say hello" to acme/cluster-config@main', ['apps/hello/production/deployment.yaml']]]);
    expect(repo.description).toBe('acme/cluster-config@main (dry run)');
  });

  it('fails as a real write would when the policy check refuses', async () => {
    const refusal = new Error('not granted');
    const logged: string[] = [];
    const repo = new DryRunConfigRepo(new ReadOnlyRepo(), (message) => logged.push(message));

    const outcome = repo.write(change, async () => {
      throw refusal;
    });

    await expect(outcome).rejects.toBe(refusal);
    expect(logged).toEqual([]);
  });

  it('refuses paths a real write would refuse', async () => {
    const repo = new DryRunConfigRepo(new ReadOnlyRepo(), () => {});

    const outcome = repo.write({ ...change, files: [{ path: '../outside.yaml', content: '' }] });

    await expect(outcome).rejects.toBeInstanceOf(ConfigRepoError);
  });
});
