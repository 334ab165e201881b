/**
 * A file's content from `repos.getContent` with `mediaType: { format: 'raw' }`: Octokit gives a string when
 * GitHub names a charset, bytes otherwise. JSON means the path is a directory or a submodule, never a file:
 * `notAFile` makes the error for that.
 */
export function rawText(data: unknown, notAFile: () => Error): string {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  throw notAFile();
}
