import { Document, type Scalar, type Tags } from 'yaml';

/**
 * Keys that come first in every mapping, in this order; every other key follows sorted by UTF-16 code units
 * (not `localeCompare`, whose order depends on the machine's locale). This gives the order Kubernetes users read
 * everywhere (`apiVersion`, `kind`, `metadata`, `spec`; `name` and `namespace` first inside `metadata`; `name` first in
 * a port or an env entry; `name` then `image` in a container) while the rest stays alphabetical like
 * `kubectl get -o yaml`.
 * Sequences keep their order: it carries meaning (env entries may refer to earlier ones).
 */
export const LEADING_KEYS: readonly string[] = ['apiVersion', 'kind', 'metadata', 'spec', 'name', 'namespace', 'image'];

/**
 * Plain (unquoted) scalars are written only for strings that every YAML reader on the way takes as the same
 * string: YAML 1.2 (this bot, Argo CD's and Flux's Go YAML v3) and YAML 1.1 (sigs.k8s.io/yaml, kubectl), where
 * `yes`, `on`, `0755`, `1_000`, `1:20` or `0o17` are not strings. A string starting with a letter or `/` can only
 * turn into something else by being one of these words; everything else is double-quoted.
 */
const PLAIN = /^[A-Za-z/][A-Za-z0-9_./@:-]*$/;
const NOT_STRINGS = new Set(
  'y Y yes Yes YES n N no No NO true True TRUE false False FALSE on On ON off Off OFF null Null NULL'.split(' '),
);

/**
 * Characters JSON leaves as they are but YAML readers must not see raw: DEL and the C1 controls are not printable
 * in YAML, and NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR are line breaks in YAML 1.1.
 */
const UNSAFE_FOR_YAML = /[\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g;

/**
 * `value` as JSON text that is also a YAML flow scalar or collection of exactly the same value: JSON escapes quotes,
 * backslashes and control characters, and the characters YAML treats differently from JSON are escaped as `\uXXXX`.
 * Inserted into a template, it can never end its line, start a document or add a key.
 */
export function yamlJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new Error(`${typeof value} has no YAML form`);
  return json.replace(UNSAFE_FOR_YAML, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A string as a YAML scalar: plain when unambiguous (see PLAIN), otherwise double-quoted on one line. */
export function yamlString(value: string): string {
  return PLAIN.test(value) && !value.endsWith(':') && !NOT_STRINGS.has(value) ? value : yamlJson(value);
}

const STRING_TAG = 'tag:yaml.org,2002:str';

/** The core schema's tags with strings written by `yamlString`, keys included. */
function canonicalTags(tags: Tags): Tags {
  return tags.map((tag) =>
    typeof tag === 'object' && tag.tag === STRING_TAG && !('collection' in tag && tag.collection)
      ? { ...tag, stringify: (item: Scalar) => yamlString(String(item.value)) }
      : tag,
  );
}

/**
 * A plain value in canonical order: mapping keys ordered by LEADING_KEYS then sorted, `null` and `undefined`
 * entries dropped (Kubernetes treats a null field as unset, and templates write `nodePort: {{json service.nodePort}}`
 * without an `{{#if}}` around it).
 */
export function canonicalOrder(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalOrder);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, child]) => child !== null && child !== undefined);
  entries.sort(([a], [b]) => compareKeys(a, b));
  return Object.fromEntries(entries.map(([key, child]) => [key, canonicalOrder(child)]));
}

function compareKeys(a: string, b: string): number {
  const rankA = LEADING_KEYS.indexOf(a);
  const rankB = LEADING_KEYS.indexOf(b);
  if (rankA !== rankB) return rankA < 0 ? 1 : rankB < 0 ? -1 : rankA - rankB;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * One object as the text of a manifest file: `header` lines as `# ` comments, then the object in canonical order,
 * block style, 2-space indent, no line folding (lineWidth 0) and no anchors, so the same object always gives the
 * same bytes and a diff of two deploys shows only what changed.
 */
export function toCanonicalYaml(value: unknown, header: readonly string[]): string {
  const document = new Document(canonicalOrder(value), { customTags: canonicalTags, aliasDuplicateObjects: false });
  const body = document.toString({ lineWidth: 0, indent: 2, indentSeq: true });
  return header.map((line) => `# ${line}\n`).join('') + body;
}
