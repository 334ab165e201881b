import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { failureOutput, type CheckOutput } from '../../src/report/check-output.js';
import type { CheckReporter, RunReporter } from '../../src/report/check-reporter.js';
import { loadRedactor, MIN_SECRET_LENGTH, Redactor, SECRET_NAME } from '../../src/security/redact.js';
import { redactingReporter } from '../../src/security/redacted-ports.js';

const CANARY = 'canary-7f3d9a1e5b';

describe('security/redact', () => {
  describe('Redactor', () => {
    it('hides every occurrence of a secret, and leaves other text alone', () => {
      const redactor = new Redactor([CANARY]);

      const text = redactor.redact(`token=${CANARY} again ${CANARY}; nothing else`);

      expect(text).toBe('token=*** again ***; nothing else');
    });

    it('hides a secret percent-encoded in a URL and JSON-escaped in a message', () => {
      const secret = 'p@ss "word"/x';
      const redactor = new Redactor([secret]);

      const text = redactor.redact(`https://u:${encodeURIComponent(secret)}@host/ and ${JSON.stringify({ value: secret })}`);

      expect(text).toBe('https://u:***@host/ and {"value":"***"}');
    });

    it('replaces a longer secret whole before a shorter one inside it', () => {
      const redactor = new Redactor(['abcdef', 'xxabcdefyy']);

      expect(redactor.redact('xxabcdefyy abcdef')).toBe('*** ***');
    });

    it('keeps the @ of URL credentials, so a redacted URL still reads as one', () => {
      const redactor = new Redactor(['user:hunter22@']);

      expect(redactor.redact('http://user:hunter22@proxy:3128')).toBe('http://***@proxy:3128');
    });

    it(`does not hide values shorter than ${MIN_SECRET_LENGTH} characters, which would garble ordinary words`, () => {
      const redactor = new Redactor(['true', '12345']);

      expect(redactor.size).toBe(0);
      expect(redactor.redact('true 12345')).toBe('true 12345');
    });

    it('hides GitHub tokens it was never told about', () => {
      const redactor = new Redactor();
      const tokens = [`ghs_${'A1b2'.repeat(9)}`, `ghp_${'Z9y8'.repeat(9)}`, `gho_${'q'.repeat(36)}`, `github_pat_${'11AAAA_'.repeat(12)}`];

      const text = redactor.redact(tokens.map((token) => `x-access-token:${token}@github.com`).join(' '));

      expect(text).toBe('x-access-token:***@github.com x-access-token:***@github.com x-access-token:***@github.com x-access-token:***@github.com');
    });

    it.each<[string, string, string]>([
      ['before the ellipsis of a cut title', `Assemble failed: password ${CANARY.slice(0, 9)}…`, 'Assemble failed: password ***…'],
      ['after the ellipsis of a log cut to its end', `\`\`\`text\n…\n${CANARY.slice(4)} and the rest`, '```text\n…\n*** and the rest'],
      ['before the mark of an overlong log line', `${'x'.repeat(10)}${CANARY.slice(0, 7)} [line cut]`, `${'x'.repeat(10)}*** [line cut]`],
    ])('hides the part of a secret that shows %s', (_where, text, expected) => {
      const redactor = new Redactor([CANARY]);

      expect(redactor.redact(text)).toBe(expected);
    });

    it('keeps text next to a cut mark that is no part of a secret', () => {
      const redactor = new Redactor([CANARY]);

      expect(redactor.redact('Building registry.example.com/acme/hello:0123456…')).toBe('Building registry.example.com/acme/hello:0123456…');
    });

    it('hides a secret in a title that check-output cut short', () => {
      const redactor = new Redactor([CANARY]);
      const reason = `${'a'.repeat(80)} password=${CANARY}`;

      const title = redactor.redact(failureOutput({ step: 'assemble', reason, hint: 'fix it' }).title);

      expect(title).not.toContain(CANARY.slice(0, MIN_SECRET_LENGTH));
      expect(title).toMatch(/password=\*\*\*…$/);
    });
  });

  describe('SECRET_NAME', () => {
    it.each(['API_TOKEN', 'DB_PASSWORD', 'db_passwd', 'WEBHOOK_SECRET', 'APIKEY', 'STRIPE_API_KEY', 'PRIVATE_KEY', 'GITHUB_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'GOOGLE_CREDENTIALS'])('takes %s for a secret', (name) => {
      expect(SECRET_NAME.test(name)).toBe(true);
    });

    it.each(['NODE_ENV', 'PORT', 'LOG_LEVEL', 'APP_FILE', 'NPM_RUN', 'DOCUMENT_ROOT'])('takes %s for plain configuration', (name) => {
      expect(SECRET_NAME.test(name)).toBe(false);
    });
  });

  describe('loadRedactor', () => {
    let dir: string;

    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 's2i-bot-redact-'));
    });

    afterEach(() => rm(dir, { recursive: true, force: true }));

    it('hides the registry credentials of $DOCKER_CONFIG/config.json: auth as stored, its password, passwords and tokens', async () => {
      const auth = Buffer.from(`robot:${CANARY}-auth`).toString('base64');
      await writeFile(
        join(dir, 'config.json'),
        JSON.stringify({ auths: { 'registry.example.com': { auth }, 'other.example.com': { username: 'u', password: `${CANARY}-password` }, 'token.example.com': { identitytoken: `${CANARY}-identity` } } }),
      );

      const redactor = await loadRedactor({ env: { DOCKER_CONFIG: dir } });

      expect(redactor.redact(`${auth} ${CANARY}-auth ${CANARY}-password ${CANARY}-identity robot`)).toBe('*** *** *** *** robot');
    });

    it("hides the App's private key, from PRIVATE_KEY with \\n escapes, line by line", async () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
      const escaped = privateKey.replace(/\n/g, '\\n');

      const redactor = await loadRedactor({ env: { PRIVATE_KEY: escaped } });

      const lines = privateKey.trim().split('\n');
      expect(lines.map((line) => redactor.redact(line))).toEqual(['-----BEGIN RSA PRIVATE KEY-----', ...lines.slice(1, -1).map(() => '***'), '-----END RSA PRIVATE KEY-----']);
      expect(redactor.redact(privateKey)).toBe('***');
    });

    it('hides the file PRIVATE_KEY_PATH names, the webhook secret and any variable named like a secret', async () => {
      await writeFile(join(dir, 'app.pem'), `-----BEGIN RSA PRIVATE KEY-----\n${CANARY}-line-of-the-key\n-----END RSA PRIVATE KEY-----\n`);

      const redactor = await loadRedactor({ env: { PRIVATE_KEY_PATH: join(dir, 'app.pem'), WEBHOOK_SECRET: `${CANARY}-webhook`, NPM_TOKEN: `${CANARY}-npm`, NODE_ENV: 'production' } });

      expect(redactor.redact(`${CANARY}-line-of-the-key ${CANARY}-webhook ${CANARY}-npm production`)).toBe('*** *** *** production');
    });

    it('hides the password of any URL with credentials in the environment, and of the build proxy', async () => {
      const redactor = await loadRedactor({
        env: { S2I_DATABASE_URL: `postgres://bot:${CANARY}-db@db.internal/s2i` },
        proxy: { httpProxy: `http://proxy-user:${CANARY}-proxy@proxy.internal:3128`, httpsProxy: undefined, noProxy: undefined },
      });

      expect(redactor.redact(`password ${CANARY}-db, proxy http://proxy-user:${CANARY}-proxy@proxy.internal:3128 and ${CANARY}-proxy`)).toBe(
        'password ***, proxy http://***@proxy.internal:3128 and ***',
      );
    });

    it('hides build env values whose names look secret, not the others', async () => {
      const redactor = await loadRedactor({ env: {}, buildEnv: { API_TOKEN: `${CANARY}-env`, NODE_ENV: 'production', GREETING: 'hello world' } });

      expect(redactor.redact(`${CANARY}-env production hello world`)).toBe('*** production hello world');
    });

    it('knows nothing from sources that cannot be read, and still hides GitHub tokens', async () => {
      await writeFile(join(dir, 'config.json'), '{ not json');

      const redactor = await loadRedactor({ env: { DOCKER_CONFIG: dir, PRIVATE_KEY_PATH: join(dir, 'missing.pem') } });

      expect(redactor.size).toBe(0);
      expect(redactor.redact(`ghs_${'a'.repeat(36)}`)).toBe('***');
    });
  });

  describe('redactingReporter', () => {
    it('shows every part of a check output redacted, and passes links and state through', async () => {
      const seen: Array<{ call: string; output: CheckOutput; links?: unknown }> = [];
      const inner: RunReporter = {
        check: (): CheckReporter => ({
          started: true,
          completed: false,
          progress: async (output) => void seen.push({ call: 'progress', output }),
          complete: async (_conclusion, output, links) => void seen.push({ call: 'complete', output, links }),
        }),
      };
      const check = redactingReporter(inner, new Redactor([CANARY])).check('s2i/build');
      const output: CheckOutput = {
        title: `Assemble failed: ${CANARY}`,
        summary: `**What went wrong:** ${CANARY}`,
        text: `\`\`\`text\nTOKEN=${CANARY}\n\`\`\``,
        annotations: [{ path: '.github/s2i.yml', start_line: 1, end_line: 1, annotation_level: 'failure', title: CANARY, message: `got ${CANARY}` }],
      };

      await check.progress(output);
      await check.complete('failure', output, { detailsUrl: 'https://example.com/details' });

      expect(JSON.stringify(seen)).not.toContain(CANARY);
      expect(seen[1]).toEqual({
        call: 'complete',
        output: {
          title: 'Assemble failed: ***',
          summary: '**What went wrong:** ***',
          text: '```text\nTOKEN=***\n```',
          annotations: [{ path: '.github/s2i.yml', start_line: 1, end_line: 1, annotation_level: 'failure', title: '***', message: 'got ***' }],
        },
        links: { detailsUrl: 'https://example.com/details' },
      });
      expect([check.started, check.completed]).toEqual([true, false]);
    });
  });
});
