#!/usr/bin/env node
import { DockerEngine } from '../docker/docker-engine.js';
import { BUILD_USAGE, buildCommand, describeFailure } from './build-command.js';
import { terminalOutput, UsageError, type Output } from './output.js';

const USAGE = `Usage: s2i-bot <command> [options]

Commands:
  build   build a directory into an image with an S2I builder image (see: s2i-bot build --help)
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const out = terminalOutput();
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  try {
    switch (command) {
      case 'build':
        if (rest.includes('--help') || rest.includes('-h')) {
          process.stdout.write(BUILD_USAGE);
          return 0;
        }
        return await withInterrupt(out, async (signal) => {
          await buildCommand(rest, new DockerEngine(), out, signal);
          return 0;
        });
      default:
        throw new UsageError(`unknown command "${command}"`, USAGE);
    }
  } catch (error) {
    if (error instanceof UsageError || (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`s2i-bot: ${(error as Error).message}\n\n${error instanceof UsageError ? error.usage : USAGE}`);
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
