import { describe, expect, it } from '@jest/globals';
import { unsafePathReason } from '../../src/policy/unsafe-path-reason.js';

describe('policy/unsafe-path-reason', () => {
  it.each([['apps/hello/production/deployment.yaml'], ['apps/hello/.pin.yaml'], ['a'], ['apps/héllo/x.yaml'], ['apps/my.app/x.yaml']])('accepts %j', (path) => {
    expect(unsafePathReason(path)).toBeUndefined();
  });

  it.each<[string, string]>([
    ['', 'is empty'],
    ['/etc/passwd', 'is absolute'],
    ['C:/x', 'is absolute'],
    ['apps/../../etc', 'contains a ".." segment'],
    ['..', 'contains a ".." segment'],
    ['apps\\..\\x', 'contains a backslash'],
    ['apps/x\u0000.yaml', 'contains a control character'],
    ['apps/x\n.yaml', 'contains a control character'],
    ['apps/x\u0085.yaml', 'contains a control character'],
    ['apps/he\u0301llo/x.yaml', 'is not in Unicode normal form NFC'],
    ['apps\uff0f..\uff0fx', 'contains look-alike Unicode characters (compatibility forms such as fullwidth letters)'],
    ['apps/\u2024\u2024/x', 'contains look-alike Unicode characters (compatibility forms such as fullwidth letters)'],
    ['apps/\ufb01le.yaml', 'contains look-alike Unicode characters (compatibility forms such as fullwidth letters)'],
    ['apps/hel\u200blo/x.yaml', 'contains invisible Unicode formatting characters'],
    ['apps/\u202egnp.yaml', 'contains invisible Unicode formatting characters'],
    ['apps//x.yaml', 'contains an empty or "." segment'],
    ['apps/./x.yaml', 'contains an empty or "." segment'],
    ['apps/x/', 'contains an empty or "." segment'],
    ['apps/.git/config', 'is inside .git'],
    ['.GIT/hooks/pre-commit', 'is inside .git'],
    ['.github/s2i-policy.yml', "is inside .github/, which holds the config repo's own settings"],
    ['.github/workflows/x.yml', "is inside .github/, which holds the config repo's own settings"],
  ])('refuses %j: %s', (path, reason) => {
    expect(unsafePathReason(path)).toBe(reason);
  });
});
