import { checkPolicy, parsePolicy, POLICY_PATH, type PolicyRequest } from './check-policy.js';

/** A deploy the config repo's policy does not grant (or a policy file that cannot be read). */
export class PolicyError extends Error {
  constructor(
    readonly reason: string,
    readonly hint: string,
  ) {
    super(reason);
    this.name = 'PolicyError';
  }
}

/**
 * Reads `.github/s2i-policy.yml` from the config-repo head about to be written on and throws a PolicyError
 * unless it grants every file and namespace of the request. Runs before each write attempt, so a policy
 * changed meanwhile is the one applied.
 */
export async function enforcePolicy(read: (path: string) => Promise<string | undefined>, request: PolicyRequest): Promise<void> {
  const parsed = parsePolicy(await read(POLICY_PATH), request);
  if (!parsed.ok) {
    throw new PolicyError(parsed.problems.join('; '), `fix ${POLICY_PATH} in the config repo; nothing is written until it grants ${request.repo}`);
  }
  const verdict = checkPolicy(parsed.policy, request);
  if (!verdict.allowed) throw new PolicyError(verdict.reason, verdict.hint);
}
