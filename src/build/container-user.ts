import type { ContainerEngine } from '../docker/container-engine.js';
import { BuildError } from './build-error.js';

/** Numeric owner for files placed into a build container. */
export interface NumericUser {
  uid: number;
  gid: number;
}

const ACCOUNT_FILE_LIMIT = 4 * 1024 * 1024;

/**
 * Resolves a Docker `USER` value (`name`, `uid`, `name:group`, `uid:gid`, or empty for root) to numbers,
 * reading `/etc/passwd` and `/etc/group` of the container when names are used. A uid with no passwd entry
 * gets gid 0, the convention of S2I builder images that run under arbitrary uids.
 */
export async function resolveContainerUser(
  engine: ContainerEngine,
  containerId: string,
  builder: string,
  user: string,
): Promise<NumericUser> {
  const [userPart, groupPart] = user.split(':', 2);
  if (!userPart) return { uid: 0, gid: 0 };
  const needsPasswd = !/^\d+$/.test(userPart) || groupPart === undefined;
  const passwd = needsPasswd ? parseAccounts(await readAccountFile(engine, containerId, '/etc/passwd')) : [];
  const entry = /^\d+$/.test(userPart)
    ? passwd.find((fields) => fields[2] === userPart)
    : passwd.find((fields) => fields[0] === userPart);
  if (!entry && !/^\d+$/.test(userPart)) {
    throw new BuildError({
      step: 'builder',
      reason: `builder image ${builder} runs as user "${userPart}", which is not in its /etc/passwd`,
      hint: 'set USER (or io.openshift.s2i.assemble-user) of the builder to a numeric uid or to a user the image defines',
    });
  }
  const uid = Number(entry ? entry[2] : userPart);
  let gid = entry && /^\d+$/.test(entry[3] ?? '') ? Number(entry[3]) : 0;
  if (groupPart !== undefined && groupPart !== '') {
    if (/^\d+$/.test(groupPart)) {
      gid = Number(groupPart);
    } else {
      const group = parseAccounts(await readAccountFile(engine, containerId, '/etc/group')).find((fields) => fields[0] === groupPart);
      if (!group) {
        throw new BuildError({
          step: 'builder',
          reason: `builder image ${builder} runs as group "${groupPart}", which is not in its /etc/group`,
          hint: 'use a numeric gid in USER of the builder, or define the group in the image',
        });
      }
      if (!/^\d+$/.test(group[2] ?? '')) {
        throw new BuildError({
          step: 'builder',
          reason: `builder image ${builder} has an /etc/group entry for "${groupPart}" without a numeric gid`,
          hint: 'fix /etc/group in the builder image or use a numeric gid in its USER',
        });
      }
      gid = Number(group[2]);
    }
  }
  return { uid, gid };
}

async function readAccountFile(engine: ContainerEngine, containerId: string, path: string): Promise<string> {
  return (await engine.readFile(containerId, path, ACCOUNT_FILE_LIMIT))?.toString('utf8') ?? '';
}

function parseAccounts(content: string): string[][] {
  return content
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => line.split(':'));
}
