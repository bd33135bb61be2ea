import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Fault, RequestRecord } from './types.ts';

/** One request in flight, as the routers see it. */
export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  record: RequestRecord;
  /** Headers every answer of this server carries (request ids, rate limits). */
  baseHeaders: OutgoingHttpHeaders;
  /** Set by the moveLocation fault: a 202 poll answer must hand out a new Location (on another origin when a string). */
  moveLocation: boolean | string;
  /** Set by the cut fault: the answer is cut off and the connection closed. */
  cut?: Extract<Fault, { cut: string }>;
  /** Set by the rewriteLocation fault: the template every Location of this answer is rewritten with. */
  rewriteLocation?: string;
}

export function send(
  ex: Exchange,
  status: number,
  body?: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  if (ex.res.headersSent || ex.res.destroyed) return;
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  const all: OutgoingHttpHeaders = { ...ex.baseHeaders, ...headers };
  if (ex.rewriteLocation !== undefined && typeof all.location === 'string')
    all.location = rewriteLocation(ex.rewriteLocation, all.location);
  if (text.length > 0 && all['content-type'] === undefined)
    all['content-type'] = 'application/json; charset=utf-8';
  all['content-length'] = Buffer.byteLength(text);
  ex.record.status = status;
  if (ex.cut) return cutAnswer(ex, status, all, text, ex.cut);
  ex.res.writeHead(status, all);
  ex.res.end(text);
}

/** Sends part of an answer that declares more, then drops the connection (a cut connection). */
export function cutAnswer(
  ex: Pick<Exchange, 'req' | 'res'>,
  status: number,
  headers: OutgoingHttpHeaders,
  text: string,
  cut: Extract<Fault, { cut: string }>,
): void {
  const body = Buffer.from(text);
  const declared = Object.fromEntries(
    Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'content-length'),
  );
  ex.res.writeHead(status, { ...declared, 'content-length': body.length + 64 });
  if (cut.cut === 'mid-body') ex.res.write(body.subarray(0, Math.floor(body.length / 2)));
  else ex.res.flushHeaders();
  setTimeout(() => ex.req.socket.destroy(), cut.stallMs ?? (cut.cut === 'mid-body' ? 50 : 500));
}

export function armError(
  ex: Exchange,
  status: number,
  code: string,
  message: string,
  headers: OutgoingHttpHeaders = {},
): void {
  send(ex, status, { error: { code, message } }, headers);
}

/** Reads the whole body; undefined when it is bigger than limit (the rest is drained so the answer gets through). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

let moveCounter = 0;

/** The URL the client polled, or under the moveLocation fault a different alias of it (lower-cased path, extra query). */
export function pollLocation(ex: Exchange, origin: string): string {
  if (!ex.moveLocation) return `${origin}${ex.req.url ?? ''}`;
  if (typeof ex.moveLocation === 'string') origin = ex.moveLocation;
  moveCounter += 1;
  const query = new URLSearchParams(ex.url.searchParams);
  query.set('moved', String(moveCounter));
  return `${origin}${ex.url.pathname.toLowerCase()}?${query.toString()}`;
}

/** Fills a rewriteLocation template from the real Location. */
export function rewriteLocation(template: string, location: string): string {
  const url = new URL(location);
  return template
    .replaceAll('{origin}', url.origin)
    .replaceAll('{path}', url.pathname)
    .replaceAll('{query}', url.search.slice(1));
}
