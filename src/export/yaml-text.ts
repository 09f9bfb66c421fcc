import { stringify } from 'yaml';

/**
 * One YAML document with `# comment` lines first. YAML 1.1 style quoting, so that a string such
 * as `no`, `on` or `y` stays a string for parsers that still read YAML 1.1 (Kubernetes, older
 * Compose); no line folding, so that a long command line stays on one line.
 */
export function yamlDocument(value: unknown, comments: readonly string[] = []): string {
  const body = stringify(value, { version: '1.1', lineWidth: 0, aliasDuplicateObjects: false });
  return `${comments.map((line) => `# ${line}\n`).join('')}${body}`;
}

/** Several YAML documents in one text, separated by `---`. */
export function yamlDocuments(
  values: readonly unknown[],
  comments: readonly string[] = [],
): string {
  return values
    .map((value, index) => yamlDocument(value, index === 0 ? comments : []))
    .join('---\n');
}
