import type { z } from 'zod';
import { closestMatch } from '../closest-match.js';
import type { ConfigProblems, Path } from './config-problems.js';
import { describeIssue } from './describe-issue.js';
import { TendFileSchema } from './file-schema.js';
import type { SourceDocument } from './source-document.js';

/** Adds one zod issue with its place in the file; an unknown field gets a "did you mean". */
export function addIssue(
  problems: ConfigProblems,
  doc: SourceDocument,
  prefix: Path,
  issue: z.core.$ZodIssue,
): void {
  const path = [...prefix, ...issue.path];
  if (issue.code !== 'unrecognized_keys') {
    problems.add(doc.positionOf(path), path, describeIssue(issue));
    return;
  }
  const candidates = fieldNamesAt(path);
  for (const key of issue.keys) {
    const guess = closestMatch(key, candidates);
    const isProgram = path.length === 2 && path[0] === 'programs';
    const hint = guess
      ? `; did you mean \`${guess}\`?`
      : isProgram && key === 'name'
        ? ": a program's name is its key under `programs`"
        : ' (`tend schema` lists the fields; docs/configuration.md explains them)';
    problems.add(
      doc.positionOf([...path, key], { isKey: true }),
      [...path, key],
      `unknown field${hint}`,
    );
  }
}

/** The field names the file schema allows at a path (for "did you mean"). */
function fieldNamesAt(path: Path): string[] {
  let node = unwrap(TendFileSchema as unknown as ZodNode);
  for (const segment of path) {
    const def = node._zod.def;
    const next =
      def.type === 'object'
        ? def.shape?.[String(segment)]
        : def.type === 'record'
          ? def.valueType
          : def.type === 'array'
            ? def.element
            : undefined;
    if (!next) return [];
    node = unwrap(next);
  }
  const shape = node._zod.def.shape;
  return shape ? Object.keys(shape) : [];
}

interface ZodNode {
  _zod: {
    def: {
      type: string;
      innerType?: ZodNode;
      in?: ZodNode;
      shape?: Record<string, ZodNode>;
      valueType?: ZodNode;
      element?: ZodNode;
    };
  };
}

/** Looks through optional, default and pipe wrappers to the schema that has the shape. */
function unwrap(node: ZodNode): ZodNode {
  let current = node;
  for (;;) {
    const def = current._zod.def;
    const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
    if (!inner) return current;
    current = inner;
  }
}
