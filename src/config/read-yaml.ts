import { isScalar, Lexer, LineCounter, parseDocument, visit, type Document } from 'yaml';

/** One thing wrong with a settings file, located in that file when it can be. */
export interface ConfigProblem {
  /** What is wrong and what is expected, starting with the key path it concerns. */
  message: string;
  /** Key path such as `deploy.service.port` (`branches["release/*"]` for keys that are not plain words); '' for the whole file. */
  path: string;
  /** 1-based line in the file. */
  line?: number;
  /** 1-based column in the file. */
  column?: number;
}

/** A settings file parsed by {@link readYaml}: the document (for locating problems) and its plain value. */
export interface YamlFile {
  /** The parsed document, whose nodes carry source offsets. */
  doc: Document;
  /** Turns those offsets into lines and columns. */
  lineCounter: LineCounter;
  /** The document as plain data; `null` for an empty file. */
  value: unknown;
}

export type ReadYamlResult = { ok: true; file: YamlFile } | { ok: false; problems: ConfigProblem[] };

/** Settings files are small; anything larger is a mistake or an attack on the parser. */
export const MAX_YAML_BYTES = 64 * 1024;

/**
 * Aliases may be expanded this many times in all: enough for anchors that share a block of settings, far too few
 * for a "billion laughs" document to blow up in memory.
 */
const MAX_ALIAS_COUNT = 100;

/**
 * How deeply collections may nest, by the measure of {@link nesting}. The parser recurses once per level; a few
 * thousand levels (20 KiB of "[" or "- ") exhaust the stack, and near that limit V8 can abort the whole process
 * instead of throwing, so depth is measured with the (iterative) lexer before anything is parsed. Settings files
 * nest a handful of levels.
 */
const MAX_NESTING = 50;

/** Explicit tags that only restate what YAML infers anyway; any other tag (`!!js/function`, `!!binary`, `!custom`) is refused. */
const PLAIN_TAGS = new Set(['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((name) => `tag:yaml.org,2002:${name}`));

/**
 * Parses a settings file defensively: a size limit, one document, unique keys, no custom tags, a bounded number of
 * alias expansions and no `__proto__` keys. Every refusal is a problem with its line, never an exception.
 */
export function readYaml(text: string): ReadYamlResult {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_YAML_BYTES) {
    return {
      ok: false,
      problems: [
        {
          path: '',
          message: `the file is ${Math.ceil(bytes / 1024)} KiB, larger than the ${MAX_YAML_BYTES / 1024} KiB limit; it holds settings only, so shorten it`,
        },
      ],
    };
  }

  const depth = nesting(text);
  if (depth.block > MAX_NESTING || depth.flow > MAX_NESTING) {
    return { ok: false, problems: [{ path: '', message: `the file nests lists and mappings too deeply (more than ${MAX_NESTING} levels); settings need only a few` }] };
  }

  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
  const at = (offset: number): Pick<ConfigProblem, 'line' | 'column'> => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };

  // After the first syntax error the parser's further complaints are mostly echoes of it; duplicate keys are not.
  const firstSyntaxError = doc.errors.find((error) => error.code !== 'DUPLICATE_KEY');
  const problems: ConfigProblem[] = doc.errors
    .filter((error) => error.code === 'DUPLICATE_KEY' || error === firstSyntaxError)
    .map((error) => {
      const where = at(error.pos[0]);
      switch (error.code) {
        case 'DUPLICATE_KEY':
          return { path: '', ...where, message: `duplicate key "${keyAt(doc, error.pos[0])}": a key may appear only once in a mapping` };
        case 'MULTIPLE_DOCS':
          return { path: '', ...where, message: 'the file holds more than one YAML document (a second "---"); keep a single document' };
        default: {
          const lineText = text.split('\n')[(where.line ?? 1) - 1] ?? '';
          // `path: apps/{{name}}` inside `{ ... }` is the classic: braces are YAML syntax unless quoted.
          const hint = lineText.includes('{{') ? '; quote values that contain {{ }}, e.g. path: "apps/{{name}}/{{environment}}"' : '';
          return { path: '', ...where, message: `YAML syntax error: ${error.message}${hint}` };
        }
      }
    });
  if (problems.length > 0) return { ok: false, problems: problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)) };

  visit(doc, {
    Node(_key, node) {
      if (node.tag !== undefined && !PLAIN_TAGS.has(node.tag) && node.range) {
        const tag = node.tag.replace(/^tag:yaml\.org,2002:/, '!!');
        // A node's range starts after its tag; point at the tag itself when it is written out.
        const written = text.lastIndexOf(tag, node.range[0]);
        problems.push({ path: '', ...at(written >= 0 ? written : node.range[0]), message: `the YAML tag ${tag} is not allowed; write plain values without tags` });
      }
    },
    Alias(_key, alias) {
      if (alias.resolve(doc) === undefined && alias.range) {
        problems.push({ path: '', ...at(alias.range[0]), message: `the alias *${alias.source} refers to no anchor &${alias.source} above it` });
      }
    },
    Pair(_key, pair) {
      const key = pair.key;
      if (!isScalar(key) || key.value === null || typeof key.value === 'object') {
        const offset = key && typeof key === 'object' && 'range' in key && Array.isArray(key.range) ? (key.range[0] as number) : undefined;
        problems.push({ path: '', ...(offset === undefined ? {} : at(offset)), message: 'a key must be plain text, not empty, a list or a mapping' });
      } else if (key.value === '__proto__' && key.range) {
        problems.push({ path: '', ...at(key.range[0]), message: 'the key "__proto__" is not allowed' });
      }
    },
  });
  if (problems.length > 0) return { ok: false, problems };

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const message = (error as Error).message;
    return {
      ok: false,
      problems: [
        {
          path: '',
          message: /alias count/i.test(message)
            ? `YAML aliases (*name) expand to too much data (more than ${MAX_ALIAS_COUNT} expansions); write the values out instead`
            : `YAML could not be read: ${message}`,
        },
      ],
    };
  }
  return { ok: true, file: { doc, lineCounter, value } };
}

/** The text of the mapping key that starts at an offset (error positions point at the key's first character). */
function keyAt(doc: Document, offset: number): string {
  let found = '';
  visit(doc, {
    Pair(_key, pair) {
      if (isScalar(pair.key) && pair.key.range?.[0] === offset) {
        found = String(pair.key.value);
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/** Lexer markers that occupy no source text. */
const MARKERS = new Set(['\u0002', '\u0018', '\u001f', '\u{FEFF}']);

/**
 * Upper bounds of the nesting depth: `flow` counts open `[` and `{`; `block` keeps a stack of the columns where
 * block nodes start (line starts and `-`, `?`, `:` indicators), since a nested block node always starts further
 * right than the nodes it is inside. Both come from lexer tokens, so brackets and dashes inside strings do not count.
 */
function nesting(text: string): { block: number; flow: number } {
  const columns: number[] = [];
  let column = 0;
  let lineStart = true;
  let flow = 0;
  let maxFlow = 0;
  let maxBlock = 0;
  for (const token of new Lexer().lex(text)) {
    if (MARKERS.has(token)) continue;
    const blank = /^[ \t]*$/.test(token);
    if (flow === 0 && (token === '-' || token === '?' || token === ':' || (lineStart && !blank && !token.startsWith('#') && !token.startsWith('\n') && !token.startsWith('\r')))) {
      while (columns.length > 0 && (columns.at(-1) as number) >= column) columns.pop();
      columns.push(column);
      maxBlock = Math.max(maxBlock, columns.length);
    }
    if (token === '[' || token === '{') maxFlow = Math.max(maxFlow, ++flow);
    else if ((token === ']' || token === '}') && flow > 0) flow--;
    const newline = token.lastIndexOf('\n');
    column = newline >= 0 ? token.length - newline - 1 : column + token.length;
    lineStart = newline >= 0 ? /^[ \t]*$/.test(token.slice(newline + 1)) : lineStart && blank;
  }
  return { block: maxBlock, flow: maxFlow };
}
