import type { RepoConfig } from '../config/schema.js';
import type { RenderInput } from './render-manifests.js';

export interface RenderTarget {
  environment: string;
  /** Directory in the config repo (`gitops.path` expanded). */
  path: string;
  /** The image, pinned by digest. */
  image: string;
  /** `owner/name` of the app repo. */
  repo: string;
  sha: string;
  /** Where the source came from: a repository URL, or a local path. */
  sourceLocation: string;
}

/** What the templates need from an app's `.github/s2i.yml`, for one environment and one pinned image. */
export function renderInputFor(config: RepoConfig, target: RenderTarget): RenderInput {
  return {
    name: config.deploy.name,
    namespace: config.deploy.namespace,
    environment: target.environment,
    path: target.path,
    image: target.image,
    replicas: config.deploy.replicas,
    port: config.deploy.port,
    service: config.deploy.service,
    readinessProbe: config.deploy.readinessProbe,
    env: config.env,
    secretEnv: config.secretEnv,
    resources: config.deploy.resources,
    // Only a web URL is worth naming in the manifests' header; a local path would leak a machine path into them.
    source: { repo: target.repo, sha: target.sha, url: /^https?:\/\//.test(target.sourceLocation) ? target.sourceLocation : undefined },
  };
}
