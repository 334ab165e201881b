/** The file an `_extends` value points at. */
export interface ExtendsTarget {
  /** Owner of the repository holding the base file. */
  owner: string;
  /** Repository holding the base file. */
  repo: string;
  /** Path of the YAML file in that repo. */
  path: string;
}

export class ExtendsTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExtendsTargetError';
  }
}

/** The app repo's settings file, which is also where `_extends` looks in the other repo unless a path is given. */
export const CONFIG_PATH = '.github/s2i.yml';

const TARGET = /^(?:([A-Za-z0-9][A-Za-z0-9-]{0,38})\/)?([A-Za-z0-9._-]{1,100})(?::(.+))?$/;

/**
 * Reads an `_extends` value the way Probot does: `other-repo` (same owner, `.github/s2i.yml`), `owner/repo`,
 * `owner/repo:path/to/file.yml` or `repo:path/to/file.yml`. The path must be a relative `.yml`/`.yaml` file
 * without `..`, because it is fetched from another repository on the app's behalf.
 */
export function parseExtendsTarget(value: string, owner: string): ExtendsTarget {
  const match = TARGET.exec(value.trim());
  const invalid = () =>
    new ExtendsTargetError(`_extends: "${value}" is not a valid target; expected repo, owner/repo or owner/repo:path/to/file.yml`);
  if (!match) throw invalid();
  const [, targetOwner, repo, path] = match;
  if (repo === '.' || repo === '..') throw invalid();
  if (path !== undefined) {
    const segments = path.split('/');
    const plain = /^[\w.-]+$/;
    if (!/\.ya?ml$/.test(path) || segments.some((segment) => segment === '' || segment === '.' || segment === '..' || !plain.test(segment))) {
      throw invalid();
    }
  }
  return { owner: targetOwner ?? owner, repo, path: path ?? CONFIG_PATH };
}
