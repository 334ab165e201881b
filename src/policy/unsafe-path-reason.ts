/**
 * Why a path must not be written into the config repo whatever a policy's globs say, or `undefined` when it is a
 * plain relative path. Globs match text, so any spelling that could name a different file than it appears to
 * (traversal, backslashes, look-alike Unicode) is refused before matching. `.git` and `.github/` are refused too:
 * the first is git's own, the second holds the config repo's settings, this policy among them, which the bot must
 * never be able to rewrite.
 */
export function unsafePathReason(path: string): string | undefined {
  if (path === '') return 'is empty';
  // C0 and C1 controls, NUL included.
  if (/\p{Cc}/u.test(path)) return 'contains a control character';
  if (path.includes('\\')) return 'contains a backslash';
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return 'is absolute';
  if (path.normalize('NFC') !== path) return 'is not in Unicode normal form NFC';
  // NFKC folds compatibility look-alikes (fullwidth "／", one-dot leader "․", ligatures) into what they imitate.
  if (path.normalize('NFKC') !== path) return 'contains look-alike Unicode characters (compatibility forms such as fullwidth letters)';
  if (/[\p{Cf}\u2028\u2029]/u.test(path)) return 'contains invisible Unicode formatting characters';
  const segments = path.split('/');
  if (segments.some((segment) => segment === '..')) return 'contains a ".." segment';
  if (segments.some((segment) => segment === '' || segment === '.')) return 'contains an empty or "." segment';
  if (segments.some((segment) => segment.toLowerCase() === '.git')) return 'is inside .git';
  if (segments[0].toLowerCase() === '.github') return "is inside .github/, which holds the config repo's own settings";
  return undefined;
}
