/** Where the CLI reports progress; the terminal in production, a recorder in tests. */
export interface Output {
  /** A phase starting. */
  phase(message: string): void;
  /** A line of script output. */
  log(line: string): void;
  warn(message: string): void;
  /** A final result line. */
  result(message: string): void;
}

/** A command line that cannot be run; exits with 2 and prints the usage. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Writes progress to the terminal: phases and results on stdout, warnings on stderr. */
export function terminalOutput(stdout: NodeJS.WriteStream = process.stdout, stderr: NodeJS.WriteStream = process.stderr): Output {
  const bold = stdout.isTTY ? (text: string) => `\u001b[1m${text}\u001b[22m` : (text: string) => text;
  return {
    phase: (message) => stdout.write(`${bold('==>')} ${message}\n`),
    log: (line) => stdout.write(`    ${line}\n`),
    warn: (message) => stderr.write(`warning: ${message}\n`),
    result: (message) => stdout.write(`${bold(message)}\n`),
  };
}
