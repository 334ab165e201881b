import { parse } from 'yaml';
import { ANNOTATIONS } from './manifest-view.js';

/** The Deployment's file name inside an environment's directory of the config repo. */
export const DEPLOYMENT_FILE = 'deployment.yaml';

interface DeploymentShape {
  kind?: unknown;
  metadata?: { annotations?: Record<string, unknown> };
  spec?: { template?: { spec?: { containers?: Array<{ name?: unknown; image?: unknown }> } } };
}

/**
 * The image of container `name` in a Deployment the bot wrote; undefined when the text is not such a Deployment
 * (someone edited it by hand, or it is not YAML).
 */
export function imageOfDeployment(text: string, name: string): string | undefined {
  return deployedSource(text, name)?.image;
}

/** What a Deployment the bot wrote runs: the container's image and the app commit it was built from. */
export interface DeployedSource {
  image: string;
  /** From the `s2i-bot.io/source-commit` annotation; undefined when someone removed it. */
  sha: string | undefined;
}

/** The image of container `name` and its source commit; undefined when the text is not such a Deployment. */
export function deployedSource(text: string, name: string): DeployedSource | undefined {
  let deployment: DeploymentShape;
  try {
    deployment = parse(text, { maxAliasCount: 0 }) as DeploymentShape;
  } catch {
    return undefined;
  }
  if (deployment?.kind !== 'Deployment') return undefined;
  const container = deployment.spec?.template?.spec?.containers?.find((candidate) => candidate.name === name);
  if (typeof container?.image !== 'string') return undefined;
  const sha = deployment.metadata?.annotations?.[ANNOTATIONS.sourceCommit];
  return { image: container.image, sha: typeof sha === 'string' ? sha : undefined };
}
