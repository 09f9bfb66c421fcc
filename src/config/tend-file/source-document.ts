import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';

/** A place in a file, 1-based like editors count. */
export interface SourcePosition {
  line: number;
  col: number;
}

/** A syntax error of the file, at its place. */
export interface SyntaxProblem {
  position: SourcePosition | undefined;
  message: string;
}

/**
 * A parsed YAML or JSON file that can say where each value was written: zod reports a path
 * (`programs.web.instances`), and the user needs `tend.yaml:14:7`.
 */
export class SourceDocument {
  readonly value: unknown;
  readonly problems: SyntaxProblem[];
  readonly #contents: unknown;
  readonly #lines: LineCounter;

  constructor(text: string, options: { isJson: boolean }) {
    this.#lines = new LineCounter();
    // The YAML parser reads JSON too, and refuses duplicate keys in both (JSON.parse keeps the last).
    const doc = parseDocument(text, {
      lineCounter: this.#lines,
      uniqueKeys: true,
      prettyErrors: false,
    });
    this.#contents = doc.contents;
    this.problems = doc.errors.map((error) => ({
      position: this.positionAt(error.pos[0]),
      message:
        error.code === 'DUPLICATE_KEY'
          ? `${keyAt(text, error.pos[0])} is given twice in one map (each program and each field once)`
          : firstLine(error.message),
    }));
    if (options.isJson && this.problems.length === 0) {
      // Valid YAML is not always JSON (comments, unquoted keys): a .json file must be JSON.
      try {
        JSON.parse(text);
      } catch (error) {
        const offset = /position (\d+)/.exec((error as Error).message)?.[1];
        const where =
          offset === undefined ? firstNonJsonOffset(doc.contents, text) : Number(offset);
        this.problems.push({
          position: where === undefined ? undefined : this.positionAt(where),
          message: `expected JSON: ${(error as Error).message}`,
        });
      }
    }
    this.value = this.problems.length === 0 ? doc.toJS({ maxAliasCount: 100 }) : undefined;
  }

  /** Line and column of a character offset. */
  positionAt(offset: number): SourcePosition {
    return this.#lines.linePos(offset);
  }

  /**
   * Where the value at `path` was written; with `isKey`, where its key was. A path that goes past
   * what the file has (a missing field, a value that came from an env file) gives the key of the
   * deepest entry that exists.
   */
  positionOf(
    path: readonly PropertyKey[],
    options: { isKey?: boolean } = {},
  ): SourcePosition | undefined {
    let node: unknown = this.#contents;
    let lastKey: Node | undefined;
    for (const [depth, segment] of path.entries()) {
      const isLast = depth === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find(
          (item) => isScalar(item.key) && String(item.key.value) === String(segment),
        );
        if (!pair) return rangeStart(this, lastKey ?? (node as Node));
        if (isLast && options.isKey) return rangeStart(this, pair.key as Node);
        lastKey = pair.key as Node;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment];
        if (item === undefined) return rangeStart(this, lastKey ?? (node as Node));
        node = item;
      } else {
        return rangeStart(this, lastKey ?? (node as Node | undefined));
      }
    }
    return rangeStart(this, (node as Node | undefined) ?? lastKey);
  }
}

/**
 * Where YAML that parsed is not JSON, for a JSON.parse error without a position (Node 20 gives
 * none): a key without a value, a block (indented) collection, a string without double quotes.
 */
function firstNonJsonOffset(node: unknown, text: string): number | undefined {
  if (isMap(node) || isSeq(node)) {
    if (!node.flow) return node.range?.[0];
    for (const item of node.items) {
      if (isPair(item)) {
        const found = firstNonJsonOffset(item.key, text);
        if (found !== undefined) return found;
        if (item.value === null) return (item.key as Node | null)?.range?.[1];
        const inValue = firstNonJsonOffset(item.value, text);
        if (inValue !== undefined) return inValue;
      } else {
        const found = firstNonJsonOffset(item, text);
        if (found !== undefined) return found;
      }
    }
    return undefined;
  }
  if (isScalar(node) && node.range) {
    const written = text.slice(node.range[0], node.range[1]);
    const isJsonScalar =
      node.type === 'QUOTE_DOUBLE' || (node.type === 'PLAIN' && JSON_LITERAL.test(written));
    return isJsonScalar ? undefined : node.range[0];
  }
  return undefined;
}

const JSON_LITERAL = /^(true|false|null|-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?)$/;

function rangeStart(
  doc: SourceDocument,
  node: Node | undefined | null,
): SourcePosition | undefined {
  const offset = node?.range?.[0];
  return offset === undefined ? undefined : doc.positionAt(offset);
}

/** The key written at an offset (`web` of `web:` or `"web":`). */
function keyAt(text: string, offset: number): string {
  const key = /^\s*("[^"]*"|'[^']*'|[^:\n]*?)\s*:/.exec(text.slice(offset))?.[1];
  return key === undefined || key === '' ? 'a key' : `\`${key.replace(/^["']|["']$/g, '')}\``;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
