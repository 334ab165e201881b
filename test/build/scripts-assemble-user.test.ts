import { BuildError } from '../../src/build/build-error.js';
import { LABELS, readBuilderContract } from '../../src/build/builder-image.js';
import { checkAssembleUser } from '../../src/build/container-user.js';
import type { ImageInfo } from '../../src/docker/container-engine.js';
import { parseAllowedUids } from '../../src/settings/build-settings.js';

const BUILDER = 'quay.io/acme/builder:1';

function contractOf(user: string, assembleUser?: string) {
  const image: ImageInfo = {
    id: 'sha256:1',
    user,
    entrypoint: null,
    cmd: null,
    env: [],
    labels: assembleUser === undefined ? {} : { [LABELS.assembleUser]: assembleUser },
    workingDir: '',
    sizeBytes: 0,
    repoDigests: [],
  };
  return readBuilderContract(BUILDER, image);
}

function refusal(check: () => void): BuildError {
  try {
    check();
  } catch (error) {
    expect(error).toBeInstanceOf(BuildError);
    return error as BuildError;
  }
  throw new Error('the assemble user was allowed');
}

describe('build/container-user checkAssembleUser (S2I_ALLOWED_UIDS)', () => {
  it.each<[string, string, string | undefined, number | undefined]>([
    ['1-', '1001', undefined, undefined],
    ['1-', '1001:0', undefined, undefined],
    ['1000-2000', '0', '1500', undefined],
    ['1-,0', '', undefined, undefined],
    ['1-', 'default', undefined, 1001],
    // A named user is judged once resolved; before that nothing can be said.
    ['1-', 'root', undefined, undefined],
  ])('allows %s for USER %j (assemble-user label %j, resolved uid %j)', (ranges, user, label, uid) => {
    expect(() => checkAssembleUser(BUILDER, contractOf(user, label), parseAllowedUids(ranges), uid)).not.toThrow();
  });

  it.each<[string, string, string | undefined, number | undefined, string]>([
    ['1-', '', undefined, undefined, 'root (uid 0) (it sets no USER)'],
    ['1-', '0', undefined, undefined, 'uid 0 (its USER "0")'],
    ['1-', '0:0', undefined, undefined, 'uid 0 (its USER "0:0")'],
    ['1-', 'root', undefined, 0, '"root" (uid 0) (its USER "root")'],
    ['1000-2000', '1001', '0', undefined, 'uid 0 (its io.openshift.s2i.assemble-user label "0")'],
    ['1000-2000', '1001', 'builder', 5000, '"builder" (uid 5000) (its io.openshift.s2i.assemble-user label "builder")'],
    ['1000-2000,5', '999', undefined, undefined, 'uid 999 (its USER "999")'],
  ])('refuses %s for USER %j (assemble-user label %j, resolved uid %j)', (ranges, user, label, uid, as) => {
    const allowed = parseAllowedUids(ranges);

    const error = refusal(() => checkAssembleUser(BUILDER, contractOf(user, label), allowed, uid));

    expect(error.step).toBe('builder');
    expect(error.reason).toBe(`builder image ${BUILDER} would run assemble as ${as}, which S2I_ALLOWED_UIDS=${ranges} does not allow`);
    expect(error.hint).toBe(`use a builder whose io.openshift.s2i.assemble-user label or USER is a uid in ${ranges}, or ask the operator to widen S2I_ALLOWED_UIDS`);
  });

  it('allows any user, root included, when S2I_ALLOWED_UIDS is unset', () => {
    expect(() => checkAssembleUser(BUILDER, contractOf(''), undefined, 0)).not.toThrow();
  });

  it('judges the assemble-user label, not the image USER, when both are set (as s2i)', () => {
    expect(() => checkAssembleUser(BUILDER, contractOf('0', '1001'), parseAllowedUids('1-'))).not.toThrow();
  });
});
