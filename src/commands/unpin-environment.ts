import { renderGitopsPath } from '../config/load-repo-config.js';
import type { RepoConfig } from '../config/schema.js';
import type { ConfigRepo, WriteOutcome } from '../gitops/config-repo.js';
import { parsePin, PIN_FILE, type Pin } from '../gitops/pin.js';
import { enforcePolicy } from '../policy/enforce-policy.js';

/** What `/s2i unpin` did: removed the pin in one commit (or PR), or found none. */
export type UnpinOutcome = { status: 'unpinned'; pin: Partial<Pin>; write: WriteOutcome } | { status: 'not-pinned' };

/**
 * Removes an environment's pin from the config repo: one commit that deletes the pin file, under the same policy
 * as a deploy (the file is in the app's granted directory). Whether a pin exists is decided at the head the commit
 * is built on, so a pin removed meanwhile is "not pinned", not an error.
 */
export async function unpinEnvironment(configRepo: ConfigRepo, config: RepoConfig, repo: string, environment: string, by: string): Promise<UnpinOutcome> {
  const path = `${renderGitopsPath(config, environment)}/${PIN_FILE}`;
  let pin: Partial<Pin> | undefined;
  try {
    const write = await configRepo.write(
      { files: [{ path, content: null }], message: `unpin(${environment}): ${repo}, by @${by}`, environment, sourceRepo: repo },
      async (read) => {
        await enforcePolicy(read, { repo, files: [path], namespaces: [config.deploy.namespace] });
        const text = await read(path);
        if (text === undefined) throw new NotPinned();
        pin = parsePin(text);
      },
    );
    return { status: 'unpinned', pin: pin ?? {}, write };
  } catch (error) {
    if (error instanceof NotPinned) return { status: 'not-pinned' };
    throw error;
  }
}

class NotPinned extends Error {}
