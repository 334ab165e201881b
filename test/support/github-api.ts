/**
 * Exact GitHub API mocks, checked against GitHub's published OpenAPI description (`@octokit/openapi`).
 *
 * API
 * - `mockGitHub(): GitHubMock` — call in `beforeEach`. Disables the network except loopback and returns
 *   `{ api, requests, problems, unmatched }`: `api` is a nock scope for https://api.github.com to add interceptors
 *   to, `requests` lists every request that reached one of them (in order), `problems` every way a request broke
 *   the OpenAPI description (unknown path or method, undeclared or invalid query/path parameter, invalid JSON body,
 *   a body property the operation does not declare), `unmatched` every request no interceptor took.
 *   Any client that calls https://api.github.com is covered (a Probot app too: mock its
 *   `POST /app/installations/{id}/access_tokens`). Reply bodies are not checked: give only the fields the code reads.
 * - `assertGitHubDone(mock): void` — call in `afterEach`. Throws one readable list when an interceptor was never
 *   called, a request matched no interceptor, or a request broke the OpenAPI description; always ends with
 *   `nock.cleanAll()`. Calling it again for the same mock does nothing.
 * - `requestLines(mock): string[]` — `"METHOD /path?query"` per request, for `toEqual` on the whole exchange.
 * - `testOctokit(token = 'test-token'): GitHubClient` — Probot's Octokit with a fixed token, no retries and no
 *   throttling (so every request is sent exactly once and nothing waits), pointed at https://api.github.com.
 * - `checkGitHubRequest(method, pathWithQuery, body?)` — the OpenAPI check on its own (used by the mock).
 *
 * Paths are what Octokit sends: path parameters are percent-encoded, so `ref: 'heads/main'` is requested as
 * `/git/refs/heads%2Fmain` and a file `.github/s2i-policy.yml` as `/contents/.github%2Fs2i-policy.yml`. Write the
 * interceptor paths that way; the OpenAPI matching accepts both spellings (parameters GitHub marks
 * `x-multi-segment` may span several segments).
 *
 * Usage:
 * ```ts
 * import { assertGitHubDone, mockGitHub, requestLines, testOctokit, type GitHubMock } from '../support/github-api.js';
 *
 * let github: GitHubMock;
 * beforeEach(() => {
 *   github = mockGitHub();
 * });
 * afterEach(() => assertGitHubDone(github));
 *
 * it('updates the ref without force', async () => {
 *   github.api.patch('/repos/acme/cluster-config/git/refs/heads%2Fmain', { sha: 'c0ffee', force: false }).reply(200, {});
 *
 *   await testOctokit().rest.git.updateRef({ owner: 'acme', repo: 'cluster-config', ref: 'heads/main', sha: 'c0ffee', force: false });
 *
 *   expect(requestLines(github)).toEqual(['PATCH /repos/acme/cluster-config/git/refs/heads%2Fmain']);
 *   expect(github.requests[0].body).toEqual({ sha: 'c0ffee', force: false });
 * });
 * ```
 * The spec (13 MB) is read once per test file, on first use; validators are compiled per operation, on first use.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import nock from 'nock';
import { ProbotOctokit } from 'probot';
import type { GitHubClient } from '../../src/github/github-client.js';

/** The GitHub API every mock and the test Octokit use. */
export const GITHUB_API = 'https://api.github.com';

/** One request that reached an interceptor of the mock. */
export interface RecordedRequest {
  method: string;
  /** Path as sent (percent-encoded parameters), without the query. */
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body; the raw text when it is not JSON; undefined when there was none. */
  body: unknown;
  headers: Record<string, string>;
  /** The OpenAPI operation it matched, e.g. `git/update-ref`; undefined when none did. */
  operationId: string | undefined;
  /** The OpenAPI path template it matched, e.g. `/repos/{owner}/{repo}/git/refs/{ref}`. */
  template: string | undefined;
}

export interface GitHubMock {
  /** nock scope for https://api.github.com: add the interceptors the test expects. */
  api: nock.Scope;
  /** Every request that reached an interceptor of `api`, in order. */
  requests: RecordedRequest[];
  /** Every way a request broke GitHub's OpenAPI description, one line each. */
  problems: string[];
  /** Requests no interceptor matched (any non-loopback host), one line each. */
  unmatched: string[];
}

/** What the OpenAPI description says about one request. */
export interface RequestCheck {
  operationId: string | undefined;
  template: string | undefined;
  problems: string[];
}

const LOOPBACK = /^(127\.0\.0\.1|localhost)(:\d+)?$/;

export const TestOctokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
  ...options,
  retry: { enabled: false },
  throttle: { enabled: false },
}));

/** A GitHubClient for tests: fixed token, no retries, no throttling, https://api.github.com. */
export function testOctokit(token = 'test-token'): GitHubClient {
  return new TestOctokit({ auth: { token }, baseUrl: GITHUB_API });
}

const listeners = new Map<GitHubMock, (...args: unknown[]) => void>();

const finished = new WeakSet<GitHubMock>();

// Registered when a test file imports this module, so it runs after that file's tests: nock stops patching
// Node's http module (it would catch the Docker-socket requests of later files in the same worker), and leaves
// only loopback connections allowed.
afterAll(() => {
  nock.cleanAll();
  nock.disableNetConnect();
  nock.enableNetConnect(LOOPBACK);
  nock.restore();
});

/**
 * Starts a GitHub mock for one test: no network except loopback, a fresh scope for https://api.github.com whose
 * requests are recorded and checked against the OpenAPI description. Pair with `assertGitHubDone` in afterEach.
 */
export function mockGitHub(): GitHubMock {
  // A mock left open by a test that threw before its afterEach must not report into this one.
  for (const [previous, listener] of listeners) {
    nock.emitter.removeListener('no match', listener);
    listeners.delete(previous);
  }
  // Jest runs many test files in one worker process, and nock patches Node's http module for the whole process:
  // it is switched on here and off after the file's tests, so files that talk to the Docker socket are not caught.
  if (!nock.isActive()) nock.activate();
  nock.disableNetConnect();
  nock.enableNetConnect(LOOPBACK);
  const api = nock(GITHUB_API);
  const mock: GitHubMock = { api, requests: [], problems: [], unmatched: [] };

  api.on('request', (req: { method: string; path: string; headers?: Record<string, string> }, _interceptor: unknown, bodyText: string) => {
    const url = new URL(req.path, GITHUB_API);
    let check: RequestCheck;
    try {
      check = checkGitHubRequest(req.method, req.path, bodyText);
    } catch (error) {
      // A failure of the checker itself must fail the test, not the request under test.
      check = { operationId: undefined, template: undefined, problems: [`the OpenAPI check failed: ${(error as Error).message}`] };
    }
    mock.requests.push({
      method: req.method.toUpperCase(),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body: parseBody(bodyText),
      headers: { ...(req.headers ?? {}) },
      operationId: check.operationId,
      template: check.template,
    });
    for (const problem of check.problems) mock.problems.push(`${req.method.toUpperCase()} ${req.path}${check.operationId ? ` (${check.operationId})` : ''}: ${problem}`);
  });

  const onNoMatch = (...args: unknown[]) => {
    const [request, options] = args as [Partial<NoMatchRequest> | undefined, Partial<NoMatchRequest> | undefined];
    const host = String(options?.host ?? request?.host ?? options?.hostname ?? request?.hostname ?? '');
    if (LOOPBACK.test(host)) return;
    const proto = String(options?.proto ?? request?.proto ?? 'https');
    const origin = `${proto}://${host.replace(proto === 'https' ? /:443$/ : /:80$/, '')}`;
    mock.unmatched.push(`${String(request?.method ?? options?.method ?? '?').toUpperCase()} ${origin}${String(request?.path ?? options?.path ?? '')}`);
  };
  nock.emitter.on('no match', onNoMatch);
  listeners.set(mock, onNoMatch);
  return mock;
}

interface NoMatchRequest {
  proto: string;
  method: string;
  path: string;
  host: string;
  hostname: string;
}

/**
 * Ends a GitHub mock: throws a readable list if an interceptor was never called, a request matched no interceptor,
 * or a request broke GitHub's OpenAPI description; in every case removes all interceptors (`nock.cleanAll()`).
 */
export function assertGitHubDone(mock: GitHubMock): void {
  if (finished.has(mock)) return;
  finished.add(mock);
  const failures = [
    ...mock.api.pendingMocks().map((pending) => `interceptor never called: ${pending}`),
    ...mock.unmatched.map((request) => `request matched no interceptor: ${request}`),
    ...mock.problems.map((problem) => `request breaks GitHub's OpenAPI description: ${problem}`),
  ];
  const listener = listeners.get(mock);
  if (listener) nock.emitter.removeListener('no match', listener);
  listeners.delete(mock);
  mock.api.removeAllListeners('request');
  nock.cleanAll();
  if (failures.length > 0) throw new Error(`GitHub mock not satisfied:\n${failures.map((failure) => `  - ${failure}`).join('\n')}`);
}

/** `"METHOD /path?query"` of every recorded request, in order. */
export function requestLines(mock: GitHubMock): string[] {
  return mock.requests.map((request) => {
    const query = new URLSearchParams(request.query).toString();
    return `${request.method} ${request.path}${query ? `?${query}` : ''}`;
  });
}

function parseBody(text: string | undefined): unknown {
  if (text === undefined || text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The OpenAPI description: loaded once, operations indexed by path template, validators compiled on first use.

interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Record<string, unknown>;
  'x-multi-segment'?: boolean;
  $ref?: string;
}

interface OpenApiOperation {
  operationId?: string;
  parameters?: OpenApiParameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Record<string, unknown> }>; $ref?: string };
}

interface OpenApiSpec {
  paths: Record<string, Record<string, unknown>>;
  components: Record<string, Record<string, unknown>>;
}

interface PathTemplate {
  template: string;
  pattern: RegExp;
  names: string[];
  staticSegments: number;
  multiSegment: number;
  operations: Map<string, OpenApiOperation>;
}

interface OperationValidators {
  parameters: ValidateFunction;
  body: ValidateFunction | undefined;
  bodyRequired: boolean;
  /** The operation declares a body, but not as JSON (markdown text, release assets): not checked. */
  opaqueBody: boolean;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const SPEC_ID = 'github';

let loaded: { spec: OpenApiSpec; templates: PathTemplate[]; bodyAjv: Ajv; parameterAjv: Ajv } | undefined;
const validators = new Map<OpenApiOperation, OperationValidators>();

function openApi(): NonNullable<typeof loaded> {
  if (loaded) return loaded;
  // Located through the package's own metadata, never imported: requiring it loads ten specs (~900 MB).
  const packageJson = createRequire(import.meta.url).resolve('@octokit/openapi/package.json');
  const spec = JSON.parse(readFileSync(join(dirname(packageJson), 'generated', 'api.github.com.json'), 'utf8')) as OpenApiSpec;
  fixNullable(spec.components);
  const templates = Object.entries(spec.paths).map(([template, item]) => indexTemplate(spec, template, item));
  const makeAjv = (coerceTypes: boolean) => {
    const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false, coerceTypes });
    // ajv-formats is CommonJS: its module object is the plugin, with itself as `default`.
    addFormats.default(ajv);
    ajv.addSchema({ components: spec.components }, SPEC_ID);
    return ajv;
  };
  // Query and path parameters arrive as text, so their validator coerces ("30" is an integer); bodies are JSON and
  // must have the right types as sent.
  loaded = { spec, templates, bodyAjv: makeAjv(false), parameterAjv: makeAjv(true) };
  return loaded;
}

function indexTemplate(spec: OpenApiSpec, template: string, item: Record<string, unknown>): PathTemplate {
  const operations = new Map<string, OpenApiOperation>();
  for (const method of METHODS) {
    const operation = item[method] as OpenApiOperation | undefined;
    if (operation) operations.set(method.toUpperCase(), operation);
  }
  const multi = new Set<string>();
  for (const operation of operations.values()) {
    for (const parameter of resolvedParameters(spec, item, operation)) if (parameter.in === 'path' && parameter['x-multi-segment']) multi.add(parameter.name);
  }
  const names: string[] = [];
  let staticSegments = 0;
  let multiSegment = 0;
  const source = template
    .split('/')
    .map((segment) => {
      if (!segment.includes('{')) {
        if (segment !== '') staticSegments += 1;
        return escapeRegExp(segment);
      }
      return segment
        .split(/(\{[^}]+\})/)
        .map((part) => {
          const name = /^\{([^}]+)\}$/.exec(part)?.[1];
          if (!name) return escapeRegExp(part);
          names.push(name);
          if (multi.has(name)) {
            multiSegment += 1;
            return '(.+?)';
          }
          return '([^/]+?)';
        })
        .join('');
    })
    .join('/');
  return { template, pattern: new RegExp(`^${source}$`), names, staticSegments, multiSegment, operations };
}

function resolvedParameters(spec: OpenApiSpec, item: Record<string, unknown>, operation: OpenApiOperation): OpenApiParameter[] {
  const all = [...((item.parameters as OpenApiParameter[] | undefined) ?? []), ...(operation.parameters ?? [])];
  return all.map((parameter) => (parameter.$ref ? (resolveRef(spec, parameter.$ref) as OpenApiParameter) : parameter));
}

function resolveRef(spec: OpenApiSpec, ref: string): unknown {
  let node: unknown = spec;
  for (const key of ref.replace(/^#\//, '').split('/')) node = (node as Record<string, unknown>)[key.replace(/~1/g, '/').replace(/~0/g, '~')];
  return node;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** OpenAPI 3.0 `nullable` without `type` (ajv refuses it) becomes "this schema or null". */
function fixNullable(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) fixNullable(item);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const record = node as Record<string, unknown>;
  for (const value of Object.values(record)) fixNullable(value);
  if (record.nullable === true && record.type === undefined) {
    const rest = { ...record };
    delete rest.nullable;
    for (const key of Object.keys(record)) delete record[key];
    record.anyOf = [rest, { type: 'null' }];
  }
}

/** Points a schema's local `$ref`s at the spec registered in ajv. */
function pointAtSpec(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(pointAtSpec);
  if (!node || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) => [key, key === '$ref' && typeof value === 'string' && value.startsWith('#/') ? `${SPEC_ID}${value}` : pointAtSpec(value)]),
  );
}

function validatorsFor(template: PathTemplate, operation: OpenApiOperation): OperationValidators {
  const cached = validators.get(operation);
  if (cached) return cached;
  const { spec, bodyAjv, parameterAjv } = openApi();
  const parameters = resolvedParameters(spec, spec.paths[template.template], operation).filter((parameter) => parameter.in === 'path' || parameter.in === 'query');
  const parameterSchema = {
    type: 'object',
    properties: Object.fromEntries(parameters.map((parameter) => [parameter.name, pointAtSpec(parameter.schema ?? {})])),
    required: parameters.filter((parameter) => parameter.required).map((parameter) => parameter.name),
    additionalProperties: false,
  };
  const requestBody = operation.requestBody?.$ref ? (resolveRef(spec, operation.requestBody.$ref) as OpenApiOperation['requestBody']) : operation.requestBody;
  const json = Object.entries(requestBody?.content ?? {}).find(([type]) => /^application\/(.+\+)?json/.test(type))?.[1];
  const body = json?.schema ? bodyAjv.compile(pointAtSpec(fixedCopy(json.schema)) as object) : undefined;
  const result: OperationValidators = {
    parameters: parameterAjv.compile(parameterSchema),
    body,
    bodyRequired: requestBody?.required === true,
    opaqueBody: requestBody !== undefined && body === undefined,
  };
  validators.set(operation, result);
  return result;
}

function fixedCopy(schema: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(schema);
  fixNullable(copy);
  closeObjects(copy);
  return copy;
}

/**
 * GitHub ignores body properties it does not know, so a misspelt parameter (`basetree`) would pass unnoticed:
 * the operation's own object schemas (not the shared components they refer to) are closed to undeclared properties,
 * unless they combine schemas (allOf/anyOf/oneOf), where closing one branch would reject the others' properties.
 */
function closeObjects(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) closeObjects(item);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const record = node as Record<string, unknown>;
  if (record.properties && typeof record.properties === 'object' && record.additionalProperties === undefined && !record.allOf && !record.anyOf && !record.oneOf) {
    record.additionalProperties = false;
  }
  for (const [key, value] of Object.entries(record)) {
    if (key === 'properties' && value && typeof value === 'object') for (const property of Object.values(value)) closeObjects(property);
    else if (key === 'items') closeObjects(value);
    // Alternatives are whole objects unless they extend properties declared beside them; allOf parts never are.
    else if ((key === 'anyOf' || key === 'oneOf') && !record.properties) closeObjects(value);
  }
}

/**
 * Matches a request to its OpenAPI operation (static segments beat parameters; `x-multi-segment` parameters may
 * span slashes) and checks its path and query parameters and its JSON body. Returns every problem found.
 */
export function checkGitHubRequest(method: string, pathWithQuery: string, bodyText?: string): RequestCheck {
  const url = new URL(pathWithQuery, GITHUB_API);
  const verb = method.toUpperCase();
  const candidates = openApi()
    .templates.map((template) => ({ template, match: template.pattern.exec(url.pathname) }))
    .filter((candidate): candidate is { template: PathTemplate; match: RegExpExecArray } => candidate.match !== null)
    .sort((a, b) => b.template.staticSegments - a.template.staticSegments || a.template.multiSegment - b.template.multiSegment);
  if (candidates.length === 0) return { operationId: undefined, template: undefined, problems: [`no path of GitHub's OpenAPI description matches ${url.pathname}`] };
  const chosen = candidates.find((candidate) => candidate.template.operations.has(verb));
  if (!chosen) {
    const best = candidates[0].template;
    return {
      operationId: undefined,
      template: best.template,
      problems: [`${best.template} has no ${verb} operation (it has ${[...best.operations.keys()].join(', ')})`],
    };
  }
  const { template, match } = chosen;
  const operation = template.operations.get(verb) as OpenApiOperation;
  const check = validatorsFor(template, operation);
  const problems: string[] = [];

  const values: Record<string, unknown> = Object.fromEntries(url.searchParams);
  template.names.forEach((name, index) => {
    values[name] = safeDecode(match[index + 1]);
  });
  if (!check.parameters(values)) problems.push(...describeErrors(check.parameters.errors, 'parameters'));

  const text = bodyText ?? '';
  if (text === '') {
    if (check.bodyRequired) problems.push('the operation requires a request body, none was sent');
  } else if (check.body) {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      problems.push('the request body is not JSON');
    }
    if (body !== undefined && !check.body(body)) problems.push(...describeErrors(check.body.errors, 'body'));
  } else if (!check.opaqueBody) {
    problems.push('a request body was sent, but the operation takes none');
  }
  return { operationId: operation.operationId, template: template.template, problems };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function describeErrors(errors: ErrorObject[] | null | undefined, where: string): string[] {
  return (errors ?? []).map((error) => {
    const at = `${where}${error.instancePath.replace(/\//g, '.') || ''}`;
    const params = error.params as { additionalProperty?: string; allowedValues?: unknown[] };
    if (params.additionalProperty !== undefined) {
      return where === 'parameters' ? `undeclared parameter "${params.additionalProperty}"` : `${at} has undeclared property "${params.additionalProperty}"`;
    }
    const allowed = params.allowedValues ? ` (${params.allowedValues.map((value) => JSON.stringify(value)).join(', ')})` : '';
    return `${at} ${error.message ?? 'is invalid'}${allowed}`;
  });
}
