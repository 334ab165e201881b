import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the deploy templates live, relative to the project root. */
const DEPLOY_TEMPLATES = join('templates', 'deploy');

let cached: string | undefined;

/**
 * The directory holding the bundled deploy templates. The module runs from `src/render/` under ts-node/jest and
 * from `dist/src/render/` once compiled, so a fixed `../../` would be wrong in one of them: walk up from the module's
 * directory until a `templates/deploy` directory exists.
 */
export function defaultTemplatesDir(): string {
  cached ??= findTemplatesDir(dirname(fileURLToPath(import.meta.url)));
  return cached;
}

/** The nearest `templates/deploy` directory at or above `start`; throws when there is none up to the root. */
export function findTemplatesDir(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, DEPLOY_TEMPLATES);
    if (isDirectory(candidate)) return candidate;
    if (dirname(dir) === dir) {
      throw new Error(`no ${DEPLOY_TEMPLATES} directory at or above ${start}; reinstall s2i-bot with its templates`);
    }
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
