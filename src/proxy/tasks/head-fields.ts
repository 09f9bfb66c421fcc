/**
 * The value of header `name` (lower case) in a request head the parser already accepted, or
 * undefined; the first one when repeated. Task routes read a few headers the hot path does not.
 */
export function headerValue(headText: string, name: string): string | undefined {
  let pos = headText.indexOf('\r\n');
  while (pos !== -1) {
    const start = pos + 2;
    const end = headText.indexOf('\r\n', start);
    const lineEnd = end === -1 ? headText.length : end;
    const colon = headText.indexOf(':', start);
    if (
      colon !== -1 &&
      colon < lineEnd &&
      colon - start === name.length &&
      headText.slice(start, colon).toLowerCase() === name
    ) {
      return headText.slice(colon + 1, lineEnd).trim();
    }
    pos = end;
  }
  return undefined;
}
