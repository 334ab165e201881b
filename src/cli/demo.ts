#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DockerEngine } from '../docker/docker-engine.js';
import { runService, waitForHttp } from '../docker/run-service.js';
import { LocalConfigRepo } from '../gitops/local-config-repo.js';
import { POLICY_PATH } from '../policy/check-policy.js';
import { describeFailure } from './build-command.js';
import { deployCommand } from './deploy-command.js';
import { terminalOutput } from './output.js';

/**
 * `npm run demo`: the bot's pipeline on the bundled sample. Builds examples/hello-node with the bundled Node.js
 * builder, pushes it to the loopback registry, commits the manifests into a local git config repo, then runs the
 * image the committed Deployment pins and asks it for its answer.
 */
const configRepoDir = process.env.S2I_DEMO_CONFIG_REPO ?? join('.demo', 'config-repo');
const APP = 'demo/hello-node';

/** The platform engineer's part: a config repo whose policy lets the sample write its own directory. */
const DEMO_POLICY = `# Which app repos may write where (see the README).
allow:
  - repo: ${APP}
    paths: ["apps/hello-node/**"]
    namespaces: [demo]
`;

async function demo(): Promise<number> {
  const out = terminalOutput();
  const engine = new DockerEngine();
  const configRepo = new LocalConfigRepo({ dir: configRepoDir, mode: 'commit' });
  if ((await configRepo.readFile(POLICY_PATH)) === undefined) {
    out.phase(`Creating the config repo ${configRepoDir} with ${POLICY_PATH}`);
    await configRepo.write({ files: [{ path: POLICY_PATH, content: DEMO_POLICY }], message: 'Grant the demo app its directory', environment: 'production', sourceRepo: APP });
  }

  const result = await deployCommand(['examples/hello-node', '--config-repo', configRepoDir, '--repo', APP, '--environment', 'production'], engine, out);
  if (!result.ok || !result.files) return 1;

  const deploymentPath = result.files.find((file) => file.endsWith('/deployment.yaml')) as string;
  const deployment = parse(await readFile(join(configRepoDir, deploymentPath), 'utf8')) as { spec: { template: { spec: { containers: Array<{ image: string }> } } } };
  const image = deployment.spec.template.spec.containers[0].image;
  out.phase(`Running ${image}, the image ${deploymentPath} pins`);
  const service = await runService(engine, image, 8080);
  try {
    const answer = await waitForHttp(service.hostPort, '/');
    out.log(`GET http://127.0.0.1:${service.hostPort}/ -> ${answer.status}`);
    out.log(answer.body.trim());
    out.result(`Done. The config repo is ${configRepoDir}: git -C ${configRepoDir} log -p -1`);
    return answer.status === 200 ? 0 : 1;
  } finally {
    await service.stop();
  }
}

try {
  process.exitCode = await demo();
} catch (error) {
  process.stderr.write(`demo: ${describeFailure(error)}\nRun "bash .ci/setup" first: it starts the Docker engine and the registry and builds the builder images.\n`);
  process.exitCode = 1;
}
