import { gzipSync } from 'node:zlib';
import { buffer } from 'node:stream/consumers';
import nock from 'nock';
import { tarOf, type FileTree } from './docker.js';
import type { GitHubMock } from './github-api.js';

export interface TarballSource {
  owner: string;
  repo: string;
  sha: string;
  files: FileTree;
}

/**
 * Serves a commit's source the way GitHub does: `GET /repos/{owner}/{repo}/tarball/{sha}` answers 302 to
 * codeload, which streams a gzipped tar with everything under `<owner>-<repo>-<sha7>/`.
 * Returns the codeload scope, whose interceptor must be used too.
 */
export async function mockTarball(github: GitHubMock, source: TarballSource): Promise<nock.Scope> {
  const archive = gzipSync(await buffer(tarOf(source.files, `${source.owner}-${source.repo}-${source.sha.slice(0, 7)}/`)));
  const location = `https://codeload.github.com/${source.owner}/${source.repo}/legacy.tar.gz/${source.sha}`;
  github.api.get(`/repos/${source.owner}/${source.repo}/tarball/${source.sha}`).reply(302, '', { location });
  return nock('https://codeload.github.com')
    .get(`/${source.owner}/${source.repo}/legacy.tar.gz/${source.sha}`)
    .reply(200, archive, { 'content-type': 'application/x-gzip' });
}
