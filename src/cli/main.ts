#!/usr/bin/env node
import { DockerEngine } from '../docker/docker-engine.js';
import { BUILD_USAGE, buildCommand, describeFailure } from './build-command.js';
import { DEPLOY_USAGE, deployCommand } from './deploy-command.js';
import { terminalOutput, UsageError, type Output } from './output.js';
import { RENDER_USAGE, renderCommand } from './render-command.js';

const USAGE = `Usage: s2i-bot <command> [options]

Runs the bot's pipeline on this machine, without GitHub.

Commands:
  build    build a directory into an image with an S2I builder image (see: s2i-bot build --help)
  render   print the manifests a .github/s2i.yml would produce, without building (see: s2i-bot render --help)
  deploy   build, push, and commit the manifests into a local git config repo (see: s2i-bot deploy --help)

Exit status: 0 done, 1 a step failed, 2 wrong command line, 130 interrupted.
`;

const COMMAND_USAGE: Record<string, string> = { build: BUILD_USAGE, render: RENDER_USAGE, deploy: DEPLOY_USAGE };

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const out = terminalOutput();
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  if (Object.hasOwn(COMMAND_USAGE, command) && (rest.includes('--help') || rest.includes('-h'))) {
    process.stdout.write(COMMAND_USAGE[command]);
    return 0;
  }
  try {
    switch (command) {
      case 'build':
        return await withInterrupt(out, async (signal) => {
          await buildCommand(rest, new DockerEngine(), out, signal);
          return 0;
        });
      case 'render':
        await renderCommand(rest, out, (text) => process.stdout.write(text));
        return 0;
      case 'deploy':
        return await withInterrupt(out, async (signal) => {
          const result = await deployCommand(rest, new DockerEngine(), out, signal);
          if (result.ok) return 0;
          if (signal.aborted) {
            process.stderr.write('s2i-bot: interrupted: nothing was deployed\n');
            return 130;
          }
          process.stderr.write(`s2i-bot: ${result.failedCheck ?? 'the deploy'} failed; its output is above\n`);
          return 1;
        });
      default:
        throw new UsageError(`unknown command "${command}"`, USAGE);
    }
  } catch (error) {
    if (error instanceof UsageError || (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      const usage = error instanceof UsageError ? error.usage : (COMMAND_USAGE[command] ?? USAGE);
      process.stderr.write(`s2i-bot: ${(error as Error).message}\n\n${usage}`);
      return 2;
    }
    process.stderr.write(`s2i-bot: ${describeFailure(error)}\n`);
    return 1;
  }
}

/**
 * Runs `action` so that Ctrl-C (or SIGTERM) cancels it cleanly: the build container is killed and removed,
 * and the process exits 130. A second Ctrl-C exits at once.
 */
async function withInterrupt(out: Output, action: (signal: AbortSignal) => Promise<number>): Promise<number> {
  const controller = new AbortController();
  const interrupt = () => {
    out.warn('interrupted: stopping the build and removing its container (Ctrl-C again to quit at once)');
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    return await action(controller.signal);
  } catch (error) {
    if (controller.signal.aborted) {
      process.stderr.write(`s2i-bot: ${describeFailure(error)}\n`);
      return 130;
    }
    throw error;
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
}

process.exitCode = await main(process.argv.slice(2));
