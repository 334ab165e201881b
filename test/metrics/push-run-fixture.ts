import { createRequire } from 'node:module';
import type { PushPayload } from '../../src/events/push-event.js';
import type { GitHubMock } from '../support/github-api.js';
import { UnusedEngine } from '../support/unused-engine.js';

const require = createRequire(import.meta.url);
const examples = require('@octokit/webhooks-examples/api.github.com/index.json') as Array<{ name: string; examples: PushPayload[] }>;

/** GitHub's own example of a push to a branch (`master` of Codertocat/Hello-World, installation 1). */
export const PUSH = examples.find((example) => example.name === 'push')?.examples.find((push) => push.ref === 'refs/heads/master' && push.installation) as PushPayload;
export const SHA = PUSH.after;
export const APP_REPO = '/repos/Codertocat/Hello-World';

/** A config whose builder cannot be had: the run fails in its `builder` phase, before any source is fetched. */
export const CONFIG = ['builder: registry.example.com/s2i/html:1', 'image: registry.example.com/acme/hello', 'deploy: { namespace: demo }', 'gitops: { repo: Codertocat/cluster-config }', ''].join('\n');

/** The first requests of a push run: the installation token (once: Probot caches it), then `.github/s2i.yml`. */
export function expectConfigRead(github: GitHubMock, text: string | undefined): void {
  github.api.post('/app/installations/1/access_tokens').reply(201, { token: 'ghs_installation', expires_at: '2099-01-01T00:00:00Z' });
  expectConfig(github, text);
}

/** `.github/s2i.yml` at the pushed commit: `text`, or 404 when undefined. */
export function expectConfig(github: GitHubMock, text: string | undefined): void {
  const interceptor = github.api.get(`${APP_REPO}/contents/.github%2Fs2i.yml`).query({ ref: SHA });
  if (text === undefined) interceptor.reply(404, { message: 'Not Found' });
  else interceptor.reply(200, text);
}

/** The `s2i/build` check of a run that fails: created in progress, then concluded. */
export function expectFailedBuildCheck(github: GitHubMock, id: number): void {
  github.api.post(`${APP_REPO}/check-runs`).reply(201, { id });
  github.api.patch(`${APP_REPO}/check-runs/${id}`).reply(200, { id });
}

/** An engine without the builder, whose registry refuses to hand it out. */
export class MissingBuilderEngine extends UnusedEngine {
  constructor() {
    super('a build whose builder cannot be pulled');
  }
  override async registryDigest(): Promise<string | undefined> {
    return undefined;
  }
  override async inspectImage(): Promise<undefined> {
    return undefined;
  }
  override async pullImage(reference: string): Promise<void> {
    throw new Error(`pull access denied for ${reference}`);
  }
}
