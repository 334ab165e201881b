import type { SourceCommit } from '../build/image-labels.js';
import { appRepoOf, type AppRepo, type RepositoryPayload } from './app-repo.js';

/** The parts of a `push` payload a run needs. */
export interface PushPayload {
  ref: string;
  after: string;
  deleted?: boolean;
  head_commit?: { id: string; message: string; timestamp: string; author: { name: string; email?: string | null } } | null;
  repository: RepositoryPayload;
  installation?: { id: number };
}

/** A push the bot acts on. */
export interface PushTarget extends AppRepo {
  branch: string;
  commit: SourceCommit;
}

export type PushDecision = { act: true; target: PushTarget } | { act: false; reason: string };

const ZERO_SHA = /^0{40}$/;

/** Whether a push is one to build: a new commit on a branch of a repo the App is installed on. */
export function decidePush(payload: PushPayload): PushDecision {
  if (payload.deleted || ZERO_SHA.test(payload.after)) return { act: false, reason: 'the branch was deleted' };
  if (!payload.ref.startsWith('refs/heads/')) return { act: false, reason: `${payload.ref} is not a branch (tags are not built)` };
  if (!payload.installation) return { act: false, reason: 'the delivery names no installation' };
  if (!/^[0-9a-f]{40}$/.test(payload.after)) return { act: false, reason: `"${payload.after}" is not a commit SHA` };
  const branch = payload.ref.slice('refs/heads/'.length);
  const head = payload.head_commit?.id === payload.after ? payload.head_commit : undefined;
  return {
    act: true,
    target: {
      ...appRepoOf(payload.repository, payload.installation),
      branch,
      commit: {
        sha: payload.after,
        ref: branch,
        ...(head
          ? { author: head.author.email ? `${head.author.name} <${head.author.email}>` : head.author.name, date: head.timestamp, message: head.message }
          : {}),
      },
    },
  };
}
