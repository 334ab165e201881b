/**
 * Value rules the Kubernetes API server enforces but its OpenAPI schema does not state (names, label syntax,
 * ranges, quantities). Checking them here turns "the sync failed in Argo CD" into a failed `s2i/deploy` that names
 * the field. Each function returns why the value is wrong, or undefined when it is fine.
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
/**
 * Environment variable names valid on every supported Kubernetes version. Clusters with
 * RelaxedEnvironmentVariableValidation (beta, on by default since 1.32) accept more, older ones reject them.
 */
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
const DIGEST_PINNED = /^[^\s@]+@sha256:[0-9a-f]{64}$/;
const UNPAIRED_SURROGATE = /[\uD800-\uDFFF]/u;

/** A value as it appears in a message: JSON-quoted, long values cut short so a 100 KB value stays readable. */
export function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  if (text.length <= 80) return text;
  return typeof value === 'string' ? `${text.slice(0, 60)}…" (${value.length} characters)` : `${text.slice(0, 60)}… (${text.length} characters)`;
}

/** Namespaces, container names, the app name: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters. */
export function dns1123Label(value: string): string | undefined {
  if (value.length > 63 || !DNS1123_LABEL.test(value)) {
    return `${show(value)} is not a DNS-1123 label (lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters)`;
  }
  return undefined;
}

/** Service names: like a DNS-1123 label, but starting with a letter. */
export function dns1035Label(value: string): string | undefined {
  if (value.length > 63 || !DNS1035_LABEL.test(value)) {
    return `${show(value)} is not a DNS-1035 label (lowercase letters, digits and "-", starting with a letter, at most 63 characters)`;
  }
  return undefined;
}

/** Most object names and Secret names: dot-separated DNS-1123 labels, at most 253 characters. */
export function dns1123Subdomain(value: string): string | undefined {
  if (value.length > 253 || !value.split('.').every((part) => DNS1123_LABEL.test(part))) {
    return `${show(value)} is not a DNS-1123 subdomain (dot-separated lowercase labels, at most 253 characters)`;
  }
  return undefined;
}

/** A label or annotation key: `[prefix/]name`, the prefix a DNS subdomain, the name at most 63 characters. */
export function qualifiedName(value: string): string | undefined {
  const slash = value.lastIndexOf('/');
  const prefix = slash < 0 ? undefined : value.slice(0, slash);
  const name = slash < 0 ? value : value.slice(slash + 1);
  if ((prefix !== undefined && dns1123Subdomain(prefix) !== undefined) || name.length > 63 || !LABEL_NAME.test(name)) {
    return `${show(value)} is not a valid key ([DNS-subdomain prefix/]name, the name at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit)`;
  }
  return undefined;
}

/** A label value: empty, or at most 63 letters, digits, `-`, `_`, `.` starting and ending alphanumeric. */
export function labelValue(value: string): string | undefined {
  if (value !== '' && (value.length > 63 || !LABEL_NAME.test(value))) {
    return `${show(value)} is not a valid label value (at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit)`;
  }
  return undefined;
}

/** A port name (IANA service name): at most 15 lowercase letters, digits and "-", with a letter, no "--". */
export function portName(value: string): string | undefined {
  if (value.length > 15 || !IANA_SVC_NAME.test(value) || value.includes('--') || !/[a-z]/.test(value)) {
    return `${show(value)} is not a valid port name (at most 15 lowercase letters, digits and "-", at least one letter, no "--")`;
  }
  return undefined;
}

/** A TCP/UDP port: a whole number from 1 to 65535. */
export function portNumber(value: unknown): string | undefined {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 65535) return `${show(value)} is not a port number (1-65535)`;
  return undefined;
}

/** Replicas and probe timings: whole numbers of at least 0. */
export function nonNegativeInteger(value: unknown): string | undefined {
  if (!Number.isInteger(value) || (value as number) < 0) return `${show(value)} must be a whole number of at least 0`;
  return undefined;
}

/** An environment variable name (see ENV_NAME for which rule and why). */
export function envName(value: string): string | undefined {
  if (!ENV_NAME.test(value)) {
    return `${show(value)} is not a valid environment variable name (letters, digits, "_", "-" and ".", not starting with a digit)`;
  }
  return undefined;
}

/** A key inside a Secret: letters, digits, `-`, `_`, `.`, at most 253 characters. */
export function secretKey(value: string): string | undefined {
  if (value.length > 253 || !SECRET_KEY.test(value)) {
    return `${show(value)} is not a valid Secret key (letters, digits, "-", "_" and ".", at most 253 characters)`;
  }
  return undefined;
}

/** An image reference pinned by digest: `repository@sha256:<64 hex>`. */
export function pinnedImage(value: string): string | undefined {
  if (!DIGEST_PINNED.test(value)) return `${show(value)} is not pinned by digest (repository@sha256:<64 hex digits>)`;
  return undefined;
}

/** Text without unpaired surrogates: YAML files are UTF-8, and such a string has no UTF-8 form. */
export function wellFormedText(value: string): string | undefined {
  if (UNPAIRED_SURROGATE.test(value)) return `${show(value)} contains an unpaired UTF-16 surrogate, which UTF-8 cannot encode`;
  return undefined;
}

const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))([eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/;
const MULTIPLIERS: Record<string, number> = {
  '': 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/**
 * A resource quantity (`100m`, `128Mi`, `1.5`, `2e3`) as a number, precise enough to compare requests with
 * limits; undefined when the text is not a quantity.
 */
export function parseQuantity(value: unknown): number | undefined {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string') return undefined;
  const match = QUANTITY.exec(text);
  if (!match) return undefined;
  const [, number, suffix = ''] = match;
  const multiplier = /^[eE][+-]?\d/.test(suffix) ? 10 ** Number(suffix.slice(1)) : MULTIPLIERS[suffix];
  return Number(number) * multiplier;
}
