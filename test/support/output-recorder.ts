import type { Output } from '../../src/cli/output.js';

/** What a command showed: progress, warnings and results as the terminal would print them. */
export interface RecordedOutput {
  lines: string[];
  output: Output;
}

/** An Output that records each line the way `terminalOutput` prints it. */
export function recorder(): RecordedOutput {
  const lines: string[] = [];
  return {
    lines,
    output: {
      phase: (message) => lines.push(`==> ${message}`),
      log: (line) => lines.push(`    ${line}`),
      warn: (message) => lines.push(`warning: ${message}`),
      result: (message) => lines.push(message),
    },
  };
}
