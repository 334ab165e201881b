#!/usr/bin/env node
import { DockerEngine } from '../docker/docker-engine.js';
import { BUILD_USAGE, buildCommand, describeFailure } from './build-command.js';
import { terminalOutput, UsageError } from './output.js';

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
        await buildCommand(rest, new DockerEngine(), out);
        return 0;
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

process.exitCode = await main(process.argv.slice(2));
