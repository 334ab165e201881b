import type { BuildError } from '../../src/build/build-error.js';
import { buildErrorOf } from '../support/rejection.js';
import { UnusedEngine } from '../support/unused-engine.js';
import { resolveContainerUser } from '../../src/build/container-user.js';
import type { ContainerEngine } from '../../src/docker/container-engine.js';

const CONTAINER = 'c0ffee';
const BUILDER = 'quay.io/acme/nodejs-builder:20';

const PASSWD = [
  'root:x:0:0:root:/root:/bin/bash',
  '# a comment line',
  '',
  'daemon:x:2:2:daemon:/sbin:/sbin/nologin',
  'default:x:1001:0:Default Application User:/opt/app-root/src:/sbin/nologin',
  'app:x:1002:1003::/home/app:/bin/sh',
  'broken:x:1004:notanumber::/:/bin/sh',
].join('\n');

const GROUP = ['root:x:0:', 'wheel:x:10:root', 'app:x:1003:', 'staff:x:50:app,default'].join('\n');

/** A container engine whose only container has these account files (undefined: the file is absent). */
class AccountFilesEngine extends UnusedEngine {
  readonly reads: { containerId: string; path: string; maxBytes: number }[] = [];

  constructor(private readonly files: Record<string, string | undefined>) {
    super('resolveContainerUser');
  }

  override readFile(containerId: string, path: string, maxBytes: number): Promise<Buffer | undefined> {
    this.reads.push({ containerId, path, maxBytes });
    const content = this.files[path];
    return Promise.resolve(content === undefined ? undefined : Buffer.from(content));
  }

  readPaths(): string[] {
    return this.reads.map((read) => read.path);
  }

}

const standardImage = () => new AccountFilesEngine({ '/etc/passwd': PASSWD, '/etc/group': GROUP });

async function resolveError(engine: ContainerEngine, user: string): Promise<BuildError> {
  return buildErrorOf(resolveContainerUser(engine, CONTAINER, BUILDER, user));
}

describe('build/container-user', () => {
  it('resolves an empty USER to root without reading the container', async () => {
    const engine = standardImage();

    const owner = await resolveContainerUser(engine, CONTAINER, BUILDER, '');

    expect(owner).toEqual({ uid: 0, gid: 0 });
    expect(engine.reads).toEqual([]);
  });

  it('takes the primary group of a numeric uid from /etc/passwd', async () => {
    const engine = standardImage();

    const owner = await resolveContainerUser(engine, CONTAINER, BUILDER, '1002');

    expect(owner).toEqual({ uid: 1002, gid: 1003 });
    expect(engine.reads).toEqual([{ containerId: CONTAINER, path: '/etc/passwd', maxBytes: expect.any(Number) }]);
  });

  it('gives a numeric uid without a passwd entry gid 0', async () => {
    const engine = standardImage();

    const owner = await resolveContainerUser(engine, CONTAINER, BUILDER, '1000660000');

    expect(owner).toEqual({ uid: 1000660000, gid: 0 });
  });

  it('gives a numeric uid gid 0 when the image has no /etc/passwd', async () => {
    const engine = new AccountFilesEngine({});

    const owner = await resolveContainerUser(engine, CONTAINER, BUILDER, '1001');

    expect(owner).toEqual({ uid: 1001, gid: 0 });
    expect(engine.readPaths()).toEqual(['/etc/passwd']);
  });

  it('looks a user name up in /etc/passwd', async () => {
    const engine = standardImage();

    const owner = await resolveContainerUser(engine, CONTAINER, BUILDER, 'default');

    expect(owner).toEqual({ uid: 1001, gid: 0 });
  });

  it('matches whole user names, not prefixes or other fields', async () => {
    const engine = standardImage();

    const [app, root] = await Promise.all([
      resolveContainerUser(engine, CONTAINER, BUILDER, 'app'),
      resolveContainerUser(engine, CONTAINER, BUILDER, 'root'),
    ]);

    expect(app).toEqual({ uid: 1002, gid: 1003 });
    expect(root).toEqual({ uid: 0, gid: 0 });
  });

  it('uses gid 0 when the passwd entry has no numeric gid', async () => {
    const engine = standardImage();

    const owner = await resolveContainerUser(engine, CONTAINER, BUILDER, 'broken');

    expect(owner).toEqual({ uid: 1004, gid: 0 });
  });

  it('resolves name:group through /etc/passwd and /etc/group', async () => {
    const engine = standardImage();

    const owner = await resolveContainerUser(engine, CONTAINER, BUILDER, 'default:staff');

    expect(owner).toEqual({ uid: 1001, gid: 50 });
    expect(engine.readPaths()).toEqual(['/etc/passwd', '/etc/group']);
  });

  it('resolves name:gid without reading /etc/group', async () => {
    const engine = standardImage();

    const owner = await resolveContainerUser(engine, CONTAINER, BUILDER, 'app:10');

    expect(owner).toEqual({ uid: 1002, gid: 10 });
    expect(engine.readPaths()).toEqual(['/etc/passwd']);
  });

  it('resolves uid:gid without reading the container', async () => {
    const engine = standardImage();

    const owner = await resolveContainerUser(engine, CONTAINER, BUILDER, '1001:1001');

    expect(owner).toEqual({ uid: 1001, gid: 1001 });
    expect(engine.reads).toEqual([]);
  });

  it('resolves uid:group through /etc/group', async () => {
    const engine = standardImage();

    const owner = await resolveContainerUser(engine, CONTAINER, BUILDER, '1001:wheel');

    expect(owner).toEqual({ uid: 1001, gid: 10 });
  });

  it('keeps the passwd group when the group part is empty', async () => {
    const engine = standardImage();

    const owner = await resolveContainerUser(engine, CONTAINER, BUILDER, 'app:');

    expect(owner).toEqual({ uid: 1002, gid: 1003 });
  });

  it('refuses a user name the image does not define, naming the builder and the user', async () => {
    const engine = standardImage();

    const error = await resolveError(engine, 'jenkins');

    expect(error.step).toBe('builder');
    expect(error.reason).toBe(`builder image ${BUILDER} runs as user "jenkins", which is not in its /etc/passwd`);
    expect(error.hint).toContain('numeric uid');
  });

  it('refuses a user name when the image has no /etc/passwd', async () => {
    const engine = new AccountFilesEngine({});

    const error = await resolveError(engine, 'default');

    expect(error.reason).toContain('"default"');
  });

  it('refuses a group name the image does not define', async () => {
    const engine = standardImage();

    const error = await resolveError(engine, 'default:docker');

    expect(error.step).toBe('builder');
    expect(error.reason).toBe(`builder image ${BUILDER} runs as group "docker", which is not in its /etc/group`);
  });

  it('refuses a group whose /etc/group entry has no numeric gid', async () => {
    const engine = new AccountFilesEngine({ '/etc/passwd': PASSWD, '/etc/group': 'broken:x:notanumber:\n' });

    const error = await resolveError(engine, 'default:broken');

    expect(error.reason).toBe(`builder image ${BUILDER} has an /etc/group entry for "broken" without a numeric gid`);
  });
});
