import { BuildError } from '../../src/build/build-error.js';
import type { ScriptsLocation } from '../../src/build/builder-image.js';
import { ScriptFetchError, type FetchedScript } from '../../src/build/script-source-fetch.js';
import { parseScriptsUrl, scriptUrl, type ScriptsUrl } from '../../src/build/script-source-url.js';
import { resolveScripts, type ResolveScriptsInput, type ScriptSet } from '../../src/build/script-source.js';
import type { ScriptName } from '../../src/source/prepare-source.js';

const BUILDER = 'quay.io/acme/nodejs-builder:20';
const LABEL = (url: string): ScriptsLocation => ({ url: parseScriptsUrl(url), declaredBy: 'io.openshift.s2i.scripts-url' });

/**
 * A fetcher serving the scripts listed per URL (`https://ops/s2i/assemble` → content), answering "missing" for
 * others, and failing for URLs in `broken`; it records what was asked so tests can assert what was not fetched.
 */
function fakeFetcher(served: Record<string, string>, broken: Record<string, string> = {}) {
  const asked: string[] = [];
  const fetcher = (location: ScriptsUrl, name: string): Promise<FetchedScript> => {
    const url = scriptUrl(location, name);
    asked.push(url);
    if (broken[url]) return Promise.reject(new ScriptFetchError(broken[url], 'fix it'));
    const content = served[url];
    return Promise.resolve(content === undefined ? { found: false, reason: `${url} answered 404` } : { found: true, content: Buffer.from(content) });
  };
  return { fetcher, asked };
}

function resolve(input: Partial<ResolveScriptsInput>, fetcher = fakeFetcher({}).fetcher): Promise<ScriptSet> {
  return resolveScripts({ builder: BUILDER, destination: '/tmp', operator: undefined, image: undefined, source: new Map(), fetcher, ...input });
}

function sources(set: ScriptSet): Record<string, string> {
  const all = { assemble: set.assemble, run: set.run, ...set.optional };
  return Object.fromEntries(Object.entries(all).map(([name, script]) => [name, `${script?.from} ${script?.path}`]));
}

async function resolveError(promise: Promise<ScriptSet>): Promise<BuildError> {
  const outcome = await promise.then(
    () => new Error('resolved, but a BuildError was expected'),
    (caught: unknown) => caught,
  );
  expect(outcome).toBeInstanceOf(BuildError);
  return outcome as BuildError;
}

const SOURCE = (...names: ScriptName[]) => new Map(names.map((name) => [name, Buffer.from(`source ${name}`)] as const));

describe('build/script-source', () => {
  describe('precedence (per script: S2I_SCRIPTS_URL, then .s2i/bin, then the builder scripts URL)', () => {
    it.each<[string, Partial<ResolveScriptsInput>, Record<string, string>, Record<string, string>]>([
      [
        'builder image:// label only',
        { image: LABEL('image:///usr/libexec/s2i') },
        {},
        { assemble: 'image /usr/libexec/s2i/assemble', run: 'image /usr/libexec/s2i/run', 'save-artifacts': 'image /usr/libexec/s2i/save-artifacts' },
      ],
      [
        '.s2i/bin wins over the label, script by script',
        { image: LABEL('image:///usr/libexec/s2i'), source: SOURCE('assemble') },
        {},
        { assemble: 'source /tmp/scripts/assemble', run: 'image /usr/libexec/s2i/run', 'save-artifacts': 'image /usr/libexec/s2i/save-artifacts' },
      ],
      [
        'the operator URL wins over .s2i/bin and the label',
        { operator: parseScriptsUrl('https://ops/s2i'), image: LABEL('image:///usr/libexec/s2i'), source: SOURCE('assemble', 'run') },
        { 'https://ops/s2i/assemble': 'ops assemble' },
        { assemble: 'url /tmp/scripts/assemble', run: 'source /tmp/scripts/run', 'save-artifacts': 'image /usr/libexec/s2i/save-artifacts' },
      ],
      [
        'an image:// operator URL ends the search for every script',
        { operator: parseScriptsUrl('image:///opt/ops'), image: LABEL('https://builder/s2i'), source: SOURCE('assemble', 'run', 'save-artifacts') },
        {},
        { assemble: 'image /opt/ops/assemble', run: 'image /opt/ops/run', 'save-artifacts': 'image /opt/ops/save-artifacts' },
      ],
      [
        'an http label is downloaded for what the source lacks, at <destination>/scripts',
        { image: LABEL('https://builder/s2i/'), source: SOURCE('run'), destination: '/opt/app-root' },
        { 'https://builder/s2i/assemble': 'a', 'https://builder/s2i/save-artifacts': 's' },
        { assemble: 'url /opt/app-root/scripts/assemble', run: 'source /opt/app-root/scripts/run', 'save-artifacts': 'url /opt/app-root/scripts/save-artifacts' },
      ],
      [
        'a missing optional script is fine',
        { image: LABEL('https://builder/s2i') },
        { 'https://builder/s2i/assemble': 'a', 'https://builder/s2i/run': 'r' },
        { assemble: 'url /tmp/scripts/assemble', run: 'url /tmp/scripts/run' },
      ],
      [
        'a destination of / puts scripts at /scripts',
        { source: SOURCE('assemble', 'run'), destination: '/' },
        {},
        { assemble: 'source /scripts/assemble', run: 'source /scripts/run' },
      ],
    ])('%s', async (_title, input, served, expected) => {
      const { fetcher } = fakeFetcher(served);

      const set = await resolve(input, fetcher);

      expect(sources(set)).toEqual(expected);
    });
  });

  it('returns the downloaded scripts to inject, and only those', async () => {
    const { fetcher } = fakeFetcher({ 'https://builder/s2i/assemble': 'remote assemble' });

    const set = await resolve({ image: LABEL('https://builder/s2i'), source: SOURCE('run') }, fetcher);

    expect([...set.downloaded]).toEqual([['assemble', Buffer.from('remote assemble')]]);
    expect(set.assemble).toEqual({ name: 'assemble', path: '/tmp/scripts/assemble', from: 'url', label: 'https://builder/s2i/assemble', declaredBy: 'io.openshift.s2i.scripts-url' });
    expect(set.run).toEqual({ name: 'run', path: '/tmp/scripts/run', from: 'source', label: '.s2i/bin/run', declaredBy: undefined });
  });

  it('fetches nothing when the source provides every script and no operator URL is set', async () => {
    const { fetcher, asked } = fakeFetcher({});

    await resolve({ image: LABEL('https://builder/s2i'), source: SOURCE('assemble', 'run', 'save-artifacts') }, fetcher);

    expect(asked).toEqual([]);
  });

  it('does not ask the label for scripts the operator URL already gave', async () => {
    const { fetcher, asked } = fakeFetcher({ 'https://ops/assemble': 'a', 'https://ops/run': 'r' });

    await resolve({ operator: parseScriptsUrl('https://ops'), image: LABEL('https://builder') }, fetcher);

    expect(asked.sort()).toEqual(['https://builder/save-artifacts', 'https://ops/assemble', 'https://ops/run', 'https://ops/save-artifacts']);
  });

  it('fails, as s2i does, when the operator URL yields none of the scripts', async () => {
    const { fetcher } = fakeFetcher({});

    const error = await resolveError(resolve({ operator: parseScriptsUrl('https://ops/s2i'), image: LABEL('image:///usr/libexec/s2i') }, fetcher));

    expect(error.step).toBe('builder');
    expect(error.reason).toBe(
      'no S2I script could be found at S2I_SCRIPTS_URL https://ops/s2i (https://ops/s2i/assemble answered 404; https://ops/s2i/run answered 404; https://ops/s2i/save-artifacts answered 404)',
    );
    expect(error.hint).toBe('ask the operator to point S2I_SCRIPTS_URL at a directory with assemble and run, or to unset it');
  });

  it('names the URL that answered 404 when no location has assemble', async () => {
    const { fetcher } = fakeFetcher({ 'https://builder/s2i/run': 'r' });

    const error = await resolveError(resolve({ image: LABEL('https://builder/s2i') }, fetcher));

    expect(error.step).toBe('builder');
    expect(error.reason).toBe(`no assemble script was found for builder image ${BUILDER}: the source has no .s2i/bin/assemble, and https://builder/s2i/assemble answered 404`);
    expect(error.hint).toBe('publish assemble next to the other scripts at that URL, or add .s2i/bin/assemble to the source');
  });

  it('keeps the message of a builder without any scripts URL', async () => {
    const error = await resolveError(resolve({ source: SOURCE('run') }));

    expect(error.reason).toBe(`builder image ${BUILDER} has no io.openshift.s2i.scripts-url label and the source has no .s2i/bin/assemble`);
    expect(error.hint).toBe('use an S2I builder image (one with the io.openshift.s2i.scripts-url label) or add .s2i/bin/assemble to the source');
  });

  it('stops at a URL that fails other than "missing" (unreachable, too large, refused), naming the script and who declared it', async () => {
    const { fetcher } = fakeFetcher({ 'https://builder/s2i/assemble': 'a' }, { 'https://builder/s2i/run': 'https://builder/s2i/run could not be downloaded: ECONNREFUSED' });

    const error = await resolveError(resolve({ image: LABEL('https://builder/s2i') }, fetcher));

    expect(error.step).toBe('builder');
    expect(error.reason).toBe('run script from io.openshift.s2i.scripts-url: https://builder/s2i/run could not be downloaded: ECONNREFUSED');
    expect(error.hint).toBe('fix it');
  });

  it('does not fall back to .s2i/bin when the operator URL is broken, so an outage never swaps scripts silently', async () => {
    const { fetcher } = fakeFetcher({}, { 'https://ops/assemble': 'https://ops/assemble could not be downloaded: no answer within 30s' });

    const error = await resolveError(resolve({ operator: parseScriptsUrl('https://ops'), source: SOURCE('assemble', 'run') }, fetcher));

    expect(error.reason).toBe('assemble script from S2I_SCRIPTS_URL: https://ops/assemble could not be downloaded: no answer within 30s');
  });

  it('looks for extra optional scripts when asked (assemble-runtime for runtime images)', async () => {
    const set = await resolve({ image: LABEL('image:///usr/libexec/s2i'), optional: ['save-artifacts', 'assemble-runtime'] });

    expect(Object.keys(set.optional).sort()).toEqual(['assemble-runtime', 'save-artifacts']);
  });
});

describe('build/script-source with a runtime image', () => {
  it('does not require run when the runtime image brings its own', async () => {
    const set = await resolve({ source: SOURCE('assemble'), runOptional: true });

    expect(set.run).toBeUndefined();
    expect(set.assemble.from).toBe('source');
  });

  it('still requires run without a runtime image', async () => {
    const error = await resolveError(resolve({ source: SOURCE('assemble') }));

    expect(error.reason).toBe(`builder image ${BUILDER} has no io.openshift.s2i.scripts-url label and the source has no .s2i/bin/run`);
  });
});
