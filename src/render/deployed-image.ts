import { parse } from 'yaml';

/** The Deployment's file name inside an environment's directory of the config repo. */
export const DEPLOYMENT_FILE = 'deployment.yaml';

interface DeploymentShape {
  kind?: unknown;
  spec?: { template?: { spec?: { containers?: Array<{ name?: unknown; image?: unknown }> } } };
}

/**
 * The image of container `name` in a Deployment the bot wrote; undefined when the text is not such a Deployment
 * (someone edited it by hand, or it is not YAML).
 */
export function imageOfDeployment(text: string, name: string): string | undefined {
  let deployment: DeploymentShape;
  try {
    deployment = parse(text, { maxAliasCount: 0 }) as DeploymentShape;
  } catch {
    return undefined;
  }
  if (deployment?.kind !== 'Deployment') return undefined;
  const container = deployment.spec?.template?.spec?.containers?.find((candidate) => candidate.name === name);
  return typeof container?.image === 'string' ? container.image : undefined;
}
