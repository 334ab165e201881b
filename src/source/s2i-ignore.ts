/** One usable line of a `.s2iignore`. */
interface IgnoreRule {
  line: number;
  pattern: string;
  regex: RegExp;
  negated: boolean;
  /** The pattern ended in `/`: it matches directories only. */
  directoryOnly: boolean;
}

/** A `.s2iignore` line that is not a valid pattern. */
export interface IgnoreProblem {
  line: number;
  message: string;
}

/** The rules of a `.s2iignore` file, and the lines that could not be read. */
export interface S2iIgnore {
  rules: IgnoreRule[];
  problems: IgnoreProblem[];
}

/** The file name, at the root of the source (of the contextDir when one is set), as in s2i. */
export const S2I_IGNORE_FILE = '.s2iignore';

/**
 * Parses a `.s2iignore` the way s2i reads it: one pattern per line, surrounding spaces trimmed, blank lines and
 * lines starting with `#` skipped, a leading `!` re-includes what an earlier line left out. Patterns use Go's
 * `filepath.Match` syntax (`*` and `?` never cross a `/`, `[a-z]`, `[^a-z]`, `\` escapes) and are matched
 * against the whole path relative to the source root, so `*.log` only matches at the top and `logs/*.log`
 * one level down. Beyond s2i, a leading `/` or `./` is dropped and a trailing `/` limits the pattern to directories
 * (s2i silently matches nothing for those); a malformed pattern is a problem reported with its line, where s2i
 * silently ignores it.
 */
export function parseS2iIgnore(text: string): S2iIgnore {
  const rules: IgnoreRule[] = [];
  const problems: IgnoreProblem[] = [];
  text.split('\n').forEach((raw, index) => {
    let spec = raw.replace(/\r$/, '').replace(/^ +| +$/g, '');
    if (spec === '' || spec.startsWith('#')) return;
    const negated = spec.startsWith('!');
    if (negated) spec = spec.slice(1);
    spec = spec.replace(/^(\.\/|\/)+/, '');
    const directoryOnly = /[^\\]\/+$/.test(spec);
    spec = spec.replace(/\/+$/, '');
    if (spec === '') {
      if (!negated) problems.push({ line: index + 1, message: `"${raw.trim()}" matches nothing; write a path or a pattern` });
      return;
    }
    try {
      rules.push({ line: index + 1, pattern: spec, regex: globToRegex(spec), negated, directoryOnly });
    } catch (error) {
      problems.push({ line: index + 1, message: `"${raw.trim()}" is not a valid pattern: ${(error as Error).message}` });
    }
  });
  return { rules, problems };
}

/**
 * Whether one path (relative to the source root, no leading or trailing `/`) is left out by itself: the last
 * rule that matches decides, as in s2i. A path inside a left-out directory is left out with it whatever later
 * rules say (s2i removes the directory as a whole); `isIgnored` applies that.
 */
export function matchesIgnore(ignore: S2iIgnore, path: string, isDirectory: boolean): boolean {
  let ignored = false;
  for (const rule of ignore.rules) {
    if (rule.directoryOnly && !isDirectory) continue;
    if (rule.regex.test(path)) ignored = !rule.negated;
  }
  return ignored;
}

/** Whether a path is left out, by a rule of its own or because a directory above it is. */
export function isIgnored(ignore: S2iIgnore, path: string, isDirectory: boolean): boolean {
  if (ignore.rules.length === 0) return false;
  const parts = path.split('/');
  for (let end = 1; end < parts.length; end += 1) {
    if (matchesIgnore(ignore, parts.slice(0, end).join('/'), true)) return true;
  }
  return matchesIgnore(ignore, path, isDirectory);
}

/** Go's `filepath.Match` pattern as an anchored regular expression; throws on a malformed pattern. */
export function globToRegex(pattern: string): RegExp {
  let source = '';
  const chars = [...pattern];
  let index = 0;
  const escapeChar = (char: string) => char.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
  const escapeClassChar = (char: string) => char.replace(/[\\\]^[-]/g, '\\$&');
  const classChar = (): string => {
    let char = chars[index];
    if (char === undefined || char === '-' || char === ']') throw new Error('unfinished character class');
    if (char === '\\') {
      index += 1;
      char = chars[index];
      if (char === undefined) throw new Error('a \\ at the end');
    }
    index += 1;
    if (chars[index] === undefined) throw new Error('unfinished character class');
    return char;
  };
  while (index < chars.length) {
    const char = chars[index];
    if (char === '*') {
      source += '[^/]*';
      index += 1;
    } else if (char === '?') {
      source += '[^/]';
      index += 1;
    } else if (char === '\\') {
      if (index + 1 >= chars.length) throw new Error('a \\ at the end');
      source += escapeChar(chars[index + 1]);
      index += 2;
    } else if (char === '[') {
      index += 1;
      let negated = false;
      if (chars[index] === '^') {
        negated = true;
        index += 1;
      }
      let ranges = '';
      let count = 0;
      for (;;) {
        if (chars[index] === ']' && count > 0) {
          index += 1;
          break;
        }
        const lo = classChar();
        let hi = lo;
        if (chars[index] === '-') {
          index += 1;
          hi = classChar();
        }
        // Go accepts a reversed range and lets it match nothing.
        if ((lo.codePointAt(0) ?? 0) <= (hi.codePointAt(0) ?? 0)) ranges += lo === hi ? escapeClassChar(lo) : `${escapeClassChar(lo)}-${escapeClassChar(hi)}`;
        count += 1;
      }
      source += ranges === '' ? (negated ? '[^]' : '(?!)') : negated ? `[^${ranges}]` : `[${ranges}]`;
    } else {
      source += escapeChar(char);
      index += 1;
    }
  }
  return new RegExp(`^${source}$`, 'u');
}
