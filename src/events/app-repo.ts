/** The `repository` of a webhook payload, as far as the bot reads it. */
export interface RepositoryPayload {
  name: string;
  full_name: string;
  html_url: string;
  default_branch?: string;
}

/** The app repo an event is about, and the installation that may act on it. */
export interface AppRepo {
  owner: string;
  repo: string;
  /** `owner/name`. */
  fullName: string;
  url: string;
  defaultBranch: string;
  installationId: number;
}

/** The app repo of a payload that names an installation. */
export function appRepoOf(repository: RepositoryPayload, installation: { id: number }): AppRepo {
  const [owner, repo] = repository.full_name.split('/');
  return { owner, repo, fullName: repository.full_name, url: repository.html_url, defaultBranch: repository.default_branch ?? 'main', installationId: installation.id };
}
