import { commentProblem, environmentProblem, shaProblem } from '../security/input-limits.js';

/** What a `/s2i` line asks for. */
export type Command =
  | { verb: 'help' }
  | { verb: 'status' }
  | { verb: 'rebuild'; noCache: boolean }
  | { verb: 'build' }
  | { verb: 'deploy'; environment: string }
  | { verb: 'rollback'; environment: string; sha?: string }
  | { verb: 'unpin'; environment: string };

/** A `/s2i` line that is not a command: answered with the help text and what was wrong. */
export interface InvalidCommand {
  verb: 'invalid';
  /** The line as written (trimmed, at most 200 characters). */
  line: string;
  problem: string;
}

export type ParsedCommand = Command | InvalidCommand;

/** Verbs that build or deploy: they need write access to the repo. */
export const WRITE_VERBS: ReadonlySet<Command['verb']> = new Set(['rebuild', 'build', 'deploy', 'rollback', 'unpin']);

/** Commands taken from one comment; more are answered as one invalid line, so a comment cannot fan out runs. */
export const MAX_COMMANDS_PER_COMMENT = 5;

const PREFIX = '/s2i';
const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/**
 * The `/s2i` commands of a comment body, in order. A command is a line of its own that starts with `/s2i` (up to
 * three spaces of indentation, as Markdown allows); lines inside fenced or indented code blocks, and quoted lines
 * (`> `), are not commands, so quoting someone's command or showing one in code runs nothing.
 */
export function parseCommands(body: string): ParsedCommand[] {
  // A body GitHub could not have sent (too long, a NUL) is not read at all.
  if (commentProblem(body)) return [];
  const commands: ParsedCommand[] = [];
  let fence: string | undefined;
  for (const raw of body.split(/\r?\n/)) {
    const fenceMatch = FENCE.exec(raw);
    if (fence !== undefined) {
      if (fenceMatch && fenceMatch[1][0] === fence[0] && fenceMatch[1].length >= fence.length && raw.trim() === fenceMatch[1]) fence = undefined;
      continue;
    }
    if (fenceMatch) {
      fence = fenceMatch[1];
      continue;
    }
    if (/^( {4}|\t)/.test(raw)) continue;
    const line = raw.trim();
    if (line.startsWith('>')) continue;
    const words = line.split(/\s+/);
    if (words[0] !== PREFIX) continue;
    if (commands.length === MAX_COMMANDS_PER_COMMENT) {
      commands.push({ verb: 'invalid', line: shorten(line), problem: `at most ${MAX_COMMANDS_PER_COMMENT} commands are taken from one comment` });
      break;
    }
    commands.push(parseLine(words.slice(1), line));
  }
  return commands;
}

function parseLine(words: string[], line: string): ParsedCommand {
  const [verb, ...args] = words;
  const invalid = (problem: string): InvalidCommand => ({ verb: 'invalid', line: shorten(line), problem });
  switch (verb) {
    case undefined:
    case '':
      return invalid('no command given');
    case 'help':
    case 'status':
    case 'build':
      return args.length === 0 ? { verb } : invalid(`\`${verb}\` takes no arguments`);
    case 'rebuild':
      if (args.length === 0) return { verb, noCache: false };
      if (args.length === 1 && args[0] === '--no-cache') return { verb, noCache: true };
      return invalid('`rebuild` takes only `--no-cache`');
    case 'deploy':
    case 'unpin': {
      if (args.length !== 1) return invalid(`\`${verb}\` takes one environment name`);
      const problem = environmentProblem(args[0]);
      return problem ? invalid(problem) : { verb, environment: args[0] };
    }
    case 'rollback': {
      if (args.length < 1 || args.length > 2) return invalid('`rollback` takes an environment name and optionally a commit SHA');
      const problem = environmentProblem(args[0]);
      if (problem) return invalid(problem);
      if (args.length === 1) return { verb, environment: args[0] };
      const sha = args[1].toLowerCase();
      const shaIssue = shaProblem(sha);
      return shaIssue ? invalid(shaIssue) : { verb, environment: args[0], sha };
    }
    default:
      return invalid(`unknown command "${shorten(verb, 60)}"`);
  }
}

/** Text quoted back to the user: bounded, and without backticks that would break the Markdown around it. */
function shorten(text: string, max = 200): string {
  const clean = text.replace(/[`\p{Cc}]/gu, '');
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}
