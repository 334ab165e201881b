/** A problem in `.s2i/environment`, with its 1-based line number. */
export interface EnvironmentFileProblem {
  line: number;
  message: string;
}

export interface ParsedEnvironmentFile {
  variables: Record<string, string>;
  problems: EnvironmentFileProblem[];
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parses s2i's `.s2i/environment`: one KEY=VALUE per line, `#` comments and blank lines ignored.
 * The value is everything after the first `=`, taken literally (no quotes, no expansion), as s2i does.
 */
export function parseEnvironmentFile(text: string): ParsedEnvironmentFile {
  const variables: Record<string, string> = {};
  const problems: EnvironmentFileProblem[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const equals = line.indexOf('=');
    const key = equals < 0 ? line : line.slice(0, equals).trim();
    if (equals < 0 || !KEY.test(key)) {
      problems.push({ line: index + 1, message: `expected KEY=VALUE with a shell variable name as KEY, got "${truncate(line)}"` });
      return;
    }
    variables[key] = line.slice(equals + 1);
  });
  return { variables, problems };
}

function truncate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
