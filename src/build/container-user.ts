import type { ContainerEngine } from '../docker/container-engine.js';
import { formatUidRanges, uidAllowed, type UidRange } from '../settings/build-settings.js';
import { BuildError } from './build-error.js';
import { LABELS, type BuilderContract } from './builder-image.js';

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

/**
 * Refuses a builder whose assemble user is outside the operator's `S2I_ALLOWED_UIDS`, as s2i's `--allowed-uids`
 * does: the user is the `io.openshift.s2i.assemble-user` label, else the image `USER` (empty means root).
 * `uid` is the resolved number; without it only a numeric or empty user can be judged, and a named one is left
 * for the call made after it is resolved (so a name that resolves to 0 is caught too). Nothing in the source
 * takes part: `.s2i/bin` and `.s2i/environment` cannot change the user.
 */
export function checkAssembleUser(builder: string, contract: BuilderContract, allowed: UidRange[] | undefined, uid?: number): void {
  if (allowed === undefined) return;
  const userPart = contract.assembleUser.split(':', 1)[0].trim();
  const known = uid ?? (userPart === '' ? 0 : /^\d+$/.test(userPart) ? Number(userPart) : undefined);
  if (known === undefined || uidAllowed(known, allowed)) return;
  const declared =
    contract.assembleUserFrom === 'label'
      ? `its ${LABELS.assembleUser} label "${contract.assembleUser}"`
      : contract.assembleUser === ''
        ? 'it sets no USER'
        : `its USER "${contract.assembleUser}"`;
  const as = userPart === '' ? 'root (uid 0)' : /^\d+$/.test(userPart) ? `uid ${known}` : `"${userPart}" (uid ${known})`;
  throw new BuildError({
    step: 'builder',
    reason: `builder image ${builder} would run assemble as ${as} (${declared}), which S2I_ALLOWED_UIDS=${formatUidRanges(allowed)} does not allow`,
    hint: `use a builder whose ${LABELS.assembleUser} label or USER is a uid in ${formatUidRanges(allowed)}, or ask the operator to widen S2I_ALLOWED_UIDS`,
  });
}
