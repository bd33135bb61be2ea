/** Reading the headers of an answer: names are lower-case, a header may come more than once. */

/** The first value of a header, trimmed; undefined when it is missing or blank. */
export function headerValue(
  headers: Record<string, string | string[] | undefined>,
  name: string,
): string | undefined {
  const value = headers[name.toLowerCase()];
  const first = Array.isArray(value) ? value[0] : value;
  return first?.trim() || undefined;
}
