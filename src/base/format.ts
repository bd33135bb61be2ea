/** Small formatters for messages, the log and the summary. */

/** Keeps an echoed value short, so a pasted secret or a huge value never floods the log. */
export function clip(value: string, max = 80): string {
  const oneLine = value.replace(/[\r\n]+/g, ' ');
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}

/** `1.5 KiB`, `2.00 MiB`: a size for people. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

/** An error body as plain text: markup (a proxy's or gateway's HTML page) dropped, spaces squeezed. */
export function plainText(body: string): string {
  return body
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}
