#!/usr/bin/env node
import { DockerEngine } from '../docker/docker-engine.js';
import { runService, waitForHttp } from '../docker/run-service.js';
import { buildCommand, describeFailure } from './build-command.js';
import { terminalOutput } from './output.js';

/**
 * `npm run demo`: builds the bundled sample with the bundled Node.js builder, pushes it to the loopback
 * registry the set-up started, runs the pushed image and asks it for its answer.
 */
const registry = process.env.S2I_DEMO_REGISTRY ?? '127.0.0.1:5000';
const builder = process.env.S2I_DEMO_BUILDER ?? 's2i-bot/builder-nodejs:local';

async function demo(): Promise<number> {
  const out = terminalOutput();
  const engine = new DockerEngine();
  const { push } = await buildCommand(['examples/hello-node', '--builder', builder, '--image', `${registry}/demo/hello-node`, '--push'], engine, out);
  if (!push) throw new Error('the demo image was not pushed');

  out.phase(`Running ${push.pinned}`);
  const service = await runService(engine, push.pinned, 8080);
  try {
    const answer = await waitForHttp(service.hostPort, '/');
    out.log(`GET http://127.0.0.1:${service.hostPort}/ -> ${answer.status}`);
    out.log(answer.body.trim());
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
