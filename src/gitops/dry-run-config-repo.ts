import { assertRepoPaths, type ConfigRepo, type ConfigRepoWrite, type ReadFile, type WriteOutcome } from './config-repo.js';

/**
 * A config repo that does everything a write does except writing: the paths are checked and the policy check runs
 * against the real head, then what would have been committed is logged. `S2I_DRY_RUN` and `--dry-run` use it.
 */
export class DryRunConfigRepo implements ConfigRepo {
  readonly description: string;

  constructor(
    private readonly inner: ConfigRepo,
    private readonly log: (message: string, files: string[]) => void,
  ) {
    this.description = `${inner.description} (dry run)`;
  }

  readFile(path: string): Promise<string | undefined> {
    return this.inner.readFile(path);
  }

  async write(change: ConfigRepoWrite, check?: (read: ReadFile) => Promise<void>): Promise<WriteOutcome> {
    assertRepoPaths(change.files, this.inner.description);
    if (check) await check((path) => this.inner.readFile(path));
    this.log(`dry run: would commit "${change.message.split('\n')[0]}" to ${this.inner.description}`, change.files.map((file) => file.path));
    return { status: 'dry-run', attempts: 0 };
  }
}
