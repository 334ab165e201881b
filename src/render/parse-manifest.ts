import { isAlias, isNode, parseAllDocuments, visit } from 'yaml';

export interface ParsedManifest {
  /** The one object of the file, when it parsed cleanly. */
  object: Record<string, unknown> | undefined;
  /** What is wrong, each prefixed with `file`. */
  problems: string[];
}

/**
 * The one YAML document a rendered template must contain. Refused: YAML errors and warnings, more than one
 * document (a second document is how an injected `---` would add an object), explicit tags (`!!binary`, custom
 * `!tags`: nothing a manifest needs, and other readers resolve them differently), anchors and aliases, and a
 * document that is not a mapping.
 */
export function parseManifest(text: string, file: string): ParsedManifest {
  const problems: string[] = [];
  const documents = parseAllDocuments(text, { version: '1.2', schema: 'core', uniqueKeys: true });
  const list = Array.isArray(documents) ? documents : [];
  if (list.length !== 1) {
    problems.push(
      list.length === 0
        ? `${file}: the template renders no YAML document; it must render exactly one object`
        : `${file}: the template renders ${list.length} YAML documents; it must render exactly one object per file`,
    );
    return { object: undefined, problems };
  }
  const [document] = list;
  for (const issue of [...document.errors, ...document.warnings]) {
    problems.push(`${file}: ${firstLine(issue.message)}`);
  }
  visit(document, {
    Node(_key, node) {
      if (isAlias(node)) {
        problems.push(`${file}: line ${lineOf(text, node.range?.[0])}: aliases (*${node.source}) are not allowed`);
        return visit.SKIP;
      }
      if (isNode(node) && node.anchor) {
        problems.push(`${file}: line ${lineOf(text, node.range?.[0])}: anchors (&${node.anchor}) are not allowed`);
      }
      if (isNode(node) && node.tag) {
        problems.push(`${file}: line ${lineOf(text, node.range?.[0])}: explicit YAML tags (${node.tag}) are not allowed`);
      }
      return undefined;
    },
  });
  if (problems.length > 0) return { object: undefined, problems };
  const value: unknown = document.toJS({ maxAliasCount: 0 });
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    problems.push(`${file}: the document must be a mapping with apiVersion, kind and metadata`);
    return { object: undefined, problems };
  }
  return { object: value as Record<string, unknown>, problems };
}

/** The message without the source excerpt that `yaml` appends ("… at line 2, column 1:" and the lines around it). */
function firstLine(message: string): string {
  return message.split('\n')[0].trim().replace(/:$/, '');
}

function lineOf(text: string, offset: number | undefined): string {
  if (offset === undefined) return '?';
  let line = 1;
  for (let index = text.indexOf('\n'); index >= 0 && index < offset; index = text.indexOf('\n', index + 1)) line++;
  return String(line);
}
