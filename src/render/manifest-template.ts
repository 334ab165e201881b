import Handlebars from 'handlebars';
import { yamlJson } from './canonical-yaml.js';

/** A compiled template: the view in, YAML text out. Throws an Error naming the template line when a value is wrong. */
export type ManifestTemplate = (view: object) => string;

/** Block helpers a template may use; they only choose and repeat template text. */
const BLOCK_HELPERS = new Set(['if', 'unless', 'each', 'with']);
/** Helpers allowed inside `{{json (…)}}`: they only look values up. */
const SUBEXPRESSION_HELPERS = new Set(['lookup']);

interface HelperLocation {
  start: { line: number; column: number };
}

/**
 * Compiles a deploy template on an isolated Handlebars instance that knows one output helper, `json`. Every value
 * a template inserts must go through it (`{{json name}}`): it writes the value as a JSON scalar or collection, which
 * YAML reads as exactly that value, so a config value such as `"x\nkind: ClusterRole"` or `---` stays inside its
 * field. The template is checked before compiling: a bare `{{name}}`, partials, decorators and unknown helpers are
 * refused, because each could splice raw text into the YAML. Throws an Error listing each offending line.
 */
export function compileManifestTemplate(source: string): ManifestTemplate {
  const program = Handlebars.parse(source);
  const expressions = new Map<string, string>();
  const problems: string[] = [];
  checkStatements(program.body, expressions, problems);
  if (problems.length > 0) throw new Error(problems.join('; '));

  const handlebars = Handlebars.create();
  // `log` writes to the console; a template has no business there.
  handlebars.unregisterHelper('log');
  handlebars.registerHelper('json', function json(...args: unknown[]) {
    const options = args.at(-1) as { loc?: HelperLocation };
    const at = options.loc ? `${options.loc.start.line}:${options.loc.start.column}` : '';
    const where = options.loc ? `line ${options.loc.start.line}: {{json ${expressions.get(at) ?? '…'}}}` : '{{json}}';
    if (args.length !== 2) throw new Error(`${where} takes exactly one value`);
    const [value] = args;
    if (value === undefined) throw new Error(`${where} names a value the view does not have`);
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`${where} is ${value}, not a finite number`);
    if (typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') {
      throw new Error(`${where} is a ${typeof value}, which has no YAML form`);
    }
    return yamlJson(value);
  });
  const knownHelpers = { json: true, lookup: true, if: true, unless: true, each: true, with: true };
  const template = handlebars.compile(program, { strict: true, noEscape: true, knownHelpers, knownHelpersOnly: true });
  return (view) => template(view);
}

function checkStatements(body: hbs.AST.Statement[], expressions: Map<string, string>, problems: string[]): void {
  for (const statement of body) {
    const line = statement.loc.start.line;
    switch (statement.type) {
      case 'ContentStatement':
      case 'CommentStatement':
        break;
      case 'MustacheStatement': {
        const mustache = statement as hbs.AST.MustacheStatement;
        const helper = pathName(mustache.path);
        if (helper !== 'json' || mustache.params.length !== 1 || mustache.hash) {
          const text = describeExpression(mustache.path, mustache.params);
          problems.push(
            helper === 'json'
              ? `line ${line}: {{${text}}} must give json exactly one value`
              : `line ${line}: {{${text}}} inserts text without the json helper; write {{json ${text}}} so the value stays one YAML scalar`,
          );
          break;
        }
        checkParams(mustache.params, line, problems);
        expressions.set(`${line}:${statement.loc.start.column}`, describeExpression(undefined, mustache.params));
        break;
      }
      case 'BlockStatement': {
        const block = statement as hbs.AST.BlockStatement;
        const helper = pathName(block.path);
        if (helper === undefined || !BLOCK_HELPERS.has(helper)) {
          problems.push(`line ${line}: {{#${block.path.original}}} is not allowed; use #if, #unless, #each or #with`);
          break;
        }
        checkParams(block.params, line, problems);
        if (block.program) checkStatements(block.program.body, expressions, problems);
        if (block.inverse) checkStatements(block.inverse.body, expressions, problems);
        break;
      }
      default:
        problems.push(`line ${line}: ${statement.type.replace(/Statement$/, '').toLowerCase()}s are not allowed in deploy templates`);
    }
  }
}

function checkParams(params: hbs.AST.Expression[], line: number, problems: string[]): void {
  for (const param of params) {
    if (param.type !== 'SubExpression') continue;
    const sub = param as hbs.AST.SubExpression;
    const helper = pathName(sub.path);
    if (helper === undefined || !SUBEXPRESSION_HELPERS.has(helper)) {
      problems.push(`line ${line}: the helper (${sub.path.original} …) is not allowed; only (lookup …) may be used inside json`);
    }
    checkParams(sub.params, line, problems);
  }
}

function pathName(path: hbs.AST.PathExpression | hbs.AST.Literal): string | undefined {
  return path.type === 'PathExpression' ? (path as hbs.AST.PathExpression).original : undefined;
}

function describeExpression(path: hbs.AST.PathExpression | hbs.AST.Literal | undefined, params: hbs.AST.Expression[]): string {
  const parts = path ? [expressionText(path)] : [];
  return [...parts, ...params.map(expressionText)].join(' ');
}

function expressionText(expression: hbs.AST.Expression): string {
  switch (expression.type) {
    case 'PathExpression':
      return (expression as hbs.AST.PathExpression).original;
    case 'SubExpression': {
      const sub = expression as hbs.AST.SubExpression;
      return `(${describeExpression(sub.path, sub.params)})`;
    }
    case 'StringLiteral':
      return JSON.stringify((expression as hbs.AST.StringLiteral).value);
    default:
      return String((expression as hbs.AST.Literal & { value?: unknown }).value ?? expression.type);
  }
}
