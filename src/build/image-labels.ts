/** The commit a build was made from, as the output image's labels describe it. */
export interface SourceCommit {
  /** Full 40-hex commit SHA. */
  sha: string;
  /** Branch or ref name, e.g. `main` or `refs/heads/main`. */
  ref?: string;
  /** `Name <email>`. */
  author?: string;
  /** ISO 8601 date. */
  date?: string;
  message?: string;
}

export interface ImageLabelInput {
  builder: string;
  /** Repository URL (`https://github.com/acme/hello`) or the local path the source came from. */
  sourceLocation?: string;
  contextDir: string;
  commit?: SourceCommit;
}

const MAX_LABEL_CHARS = 256;

/**
 * Labels s2i puts on an output image plus the OCI revision/source labels, so an image can be traced back
 * to the exact commit and builder. Values are single-line and bounded.
 */
export function outputImageLabels(input: ImageLabelInput): Record<string, string> {
  const labels: Record<string, string> = { 'io.openshift.s2i.build.image': input.builder };
  const set = (key: string, value: string | undefined) => {
    const clean = value === undefined ? '' : singleLine(value);
    if (clean !== '') labels[key] = clean;
  };
  set('io.openshift.s2i.build.source-location', input.sourceLocation);
  if (input.contextDir !== '' && input.contextDir !== '.') set('io.openshift.s2i.build.source-context-dir', input.contextDir);
  if (input.commit) {
    set('io.openshift.s2i.build.commit.id', input.commit.sha);
    set('io.openshift.s2i.build.commit.ref', input.commit.ref);
    set('io.openshift.s2i.build.commit.author', input.commit.author);
    set('io.openshift.s2i.build.commit.date', input.commit.date);
    set('io.openshift.s2i.build.commit.message', input.commit.message?.split('\n')[0]);
    set('org.opencontainers.image.revision', input.commit.sha);
  }
  if (input.sourceLocation && /^https?:\/\//.test(input.sourceLocation)) {
    set('org.opencontainers.image.source', input.sourceLocation);
  }
  return labels;
}

function singleLine(value: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return clean.length > MAX_LABEL_CHARS ? `${clean.slice(0, MAX_LABEL_CHARS - 1)}…` : clean;
}
