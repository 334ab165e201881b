import { PassThrough, Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { GitHubClient } from '../github/github-client.js';
import { SourceError } from './prepare-source.js';

/** GitHub tarballs hold everything under one `<owner>-<repo>-<sha7>/` folder. */
export const GITHUB_TARBALL_STRIP = 1;

/**
 * The tarball of exactly `sha`, as an uncompressed tar stream. The archive is streamed from GitHub into the
 * build (never held in memory); a failed download ends the stream with a SourceError saying what to do.
 */
export function openGitHubTarball(octokit: GitHubClient, owner: string, repo: string, sha: string): Readable {
  const out = new PassThrough();
  void download(octokit, owner, repo, sha, out).catch((error: unknown) => out.destroy(explain(error, owner, repo, sha)));
  return out;
}

async function download(octokit: GitHubClient, owner: string, repo: string, sha: string, out: PassThrough): Promise<void> {
  const response = await octokit.rest.repos.downloadTarballArchive({ owner, repo, ref: sha, request: { parseSuccessResponseBody: false } });
  const body = response.data as unknown as WebReadableStream<Uint8Array> | null;
  if (!body) throw new Error('GitHub answered without a body');
  await pipeline(Readable.fromWeb(body), createGunzip(), out);
}

function explain(error: unknown, owner: string, repo: string, sha: string): SourceError {
  const status = (error as { status?: number }).status;
  const what = `the source tarball of ${owner}/${repo}@${sha.slice(0, 7)}`;
  if (status === 404) {
    return new SourceError(`${what} was not found (HTTP 404)`, 'the commit is gone or the App cannot read the repository: check that the App is installed on it, then push again');
  }
  const why = status !== undefined ? `GitHub answered HTTP ${status}` : (error as Error).message;
  return new SourceError(`${what} could not be downloaded: ${why}`, 'this is usually temporary: push again (or re-run the check) in a moment');
}
