import { UsageError } from '../errors.js';

/** The longest name of a Kubernetes Service (an RFC 1035 label). */
const MAX_NAME_LENGTH = 63;

/**
 * A program name as a Kubernetes object name (an RFC 1035 label: lowercase letters, digits and
 * `-`, starting with a letter): `Web_API` becomes `web-api`, `2nd` becomes `p-2nd`.
 */
export function kubernetesName(name: string): string {
  let converted = name
    .toLowerCase()
    .replaceAll(/[^a-z0-9-]/g, '-')
    .replace(/^-+/, '');
  if (!/^[a-z]/.test(converted)) converted = `p-${converted}`;
  return converted.slice(0, MAX_NAME_LENGTH).replace(/-+$/, '');
}

/** The Kubernetes name of each program; two programs that would share one are refused. */
export function kubernetesNames(names: readonly string[]): Map<string, string> {
  const byKubernetesName = new Map<string, string>();
  const result = new Map<string, string>();
  for (const name of names) {
    const converted = kubernetesName(name);
    const other = byKubernetesName.get(converted);
    if (other !== undefined) {
      throw new UsageError(
        'TEND_ERR_USAGE_INVALID_ARGUMENT',
        `Expected program names that stay distinct as Kubernetes names (lowercase letters, digits, -): ${other} and ${name} both become ${converted}; export them apart`,
      );
    }
    byKubernetesName.set(converted, name);
    result.set(name, converted);
  }
  return result;
}
