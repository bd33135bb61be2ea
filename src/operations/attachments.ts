import { createReadStream, realpathSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path, { isAbsolute, join, relative, resolve, sep } from 'node:path';
import * as glob from '@actions/glob';
import { Zip, ZipDeflate } from 'fflate';
import { ActionError, InputError, errorMessage } from '../base/errors.ts';
import { formatBytes } from '../base/format.ts';
import { InterruptedError } from '../base/errors.ts';

/** ARM commonly rejects request bodies over 4 MB; the zip travels base64-encoded inside the JSON body. */
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
const BODY_OVERHEAD_BYTES = 8 * 1024;
/**
 * Files are stat'ed before any is read; more than this in total is refused unread. Even text that
 * compresses a thousandfold would take minutes to zip, and nothing a command needs is this large.
 */
const MAX_ATTACHED_BYTES = 1024 * 1024 * 1024;
/** A zip entry costs at least its local header, its central directory record and its name twice. */
const ZIP_BYTES_PER_ENTRY = 30 + 46 + 16;
const READ_CHUNK_BYTES = 1024 * 1024;
const ZIP_MTIME = new Date('1980-01-01T00:00:00Z');

export interface Attachment {
  /** Base64 of the zip, for the `context` field. */
  context: string;
  files: { path: string; bytes: number }[];
  bytes: number;
  zipBytes: number;
}

interface Listed {
  path: string;
  file: string;
  bytes: number;
}

const FIX_SMALLER =
  'Attach only what the command needs (a folder of manifests, not the repository), or pull large artifacts from a registry inside the command.';

/**
 * Zips the `files` entries (files, folders, globs) with their workspace-relative paths. Refuses,
 * before any call, anything outside the workspace, a pattern that matches nothing, and a zip too
 * large for the request: sizes are checked before anything is read, the zip is built in chunks
 * (the job's cancel is seen while it runs) and stops as soon as it grows past the limit.
 */
export async function buildAttachment(
  entries: string[],
  workspace: string,
  commandBytes: number,
  signal?: AbortSignal,
  log: (line: string) => void = () => {},
): Promise<Attachment | undefined> {
  if (entries.length === 0) return undefined;
  try {
    return await attach(entries, workspace, commandBytes, signal, log);
  } catch (error) {
    if (error instanceof ActionError || error instanceof InterruptedError || signal?.aborted)
      throw error;
    throw new InputError('files', `could not be read: ${errorMessage(error)}`);
  }
}

async function attach(
  entries: string[],
  workspace: string,
  commandBytes: number,
  signal: AbortSignal | undefined,
  log: (line: string) => void,
): Promise<Attachment> {
  const root = realpathSync(workspace);
  const budget = MAX_REQUEST_BYTES - commandBytes - BODY_OVERHEAD_BYTES;
  const listed = await listFiles(entries, root, budget, signal);
  const bytes = listed.reduce((sum, f) => sum + f.bytes, 0);
  if (bytes > MAX_ATTACHED_BYTES) {
    throw new InputError(
      'files',
      `matches ${listed.length} files of ${formatBytes(bytes)} in total, over the ${formatBytes(MAX_ATTACHED_BYTES)} the action reads for an attachment (the request itself is limited to about ${formatBytes(MAX_REQUEST_BYTES)}); largest: ${largest(listed)}`,
      FIX_SMALLER,
    );
  }
  log(`Zipping ${listed.length} files (${formatBytes(bytes)}) to attach them.`);
  const zip = await zipFiles(listed, budget, signal);
  if (zip === 'too-large') {
    throw new InputError(
      'files',
      `the attachment makes a request of more than ${formatBytes(MAX_REQUEST_BYTES)} (${listed.length} files, ${formatBytes(bytes)} before compression, base64-encoded), over the service's limit of about ${formatBytes(MAX_REQUEST_BYTES)}; largest: ${largest(listed)}`,
      FIX_SMALLER,
    );
  }
  return {
    context: zip.toString('base64'),
    files: listed.map(({ path, bytes: size }) => ({ path, bytes: size })),
    bytes,
    zipBytes: zip.length,
  };
}

/** Every matched file with its size, sorted by path; refuses early what can never fit. */
async function listFiles(
  entries: string[],
  root: string,
  budget: number,
  signal: AbortSignal | undefined,
): Promise<Listed[]> {
  const excludes = entries.filter((e) => e.startsWith('!'));
  const files = new Map<string, string>();
  let minimumZipBytes = 0;
  for (const entry of entries.filter((e) => !e.startsWith('!'))) {
    let matched = 0;
    for await (const file of expand(entry, root, excludes)) {
      if (signal?.aborted) throw signal.reason;
      matched++;
      const path = workspaceRelative(file, root, entry);
      if (!files.has(path)) minimumZipBytes += ZIP_BYTES_PER_ENTRY + 2 * Buffer.byteLength(path);
      files.set(path, file);
      // Stop walking once even empty files could not fit: `**` over a huge tree ends here.
      if (base64Bytes(minimumZipBytes) > budget) {
        throw new InputError(
          'files',
          `'${entry}' matches more files than one request can carry (over ${files.size} files; the request is limited to about ${formatBytes(MAX_REQUEST_BYTES)})`,
          FIX_SMALLER,
        );
      }
    }
    if (matched === 0) {
      throw new InputError('files', `'${entry}' matches no file in the workspace ${root}`);
    }
  }
  const listed: Listed[] = [];
  for (const [path, file] of [...files.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const info = await stat(file);
    // A FIFO or a device would block the read or never end; only regular files are sent.
    if (!info.isFile()) throw new InputError('files', `'${path}' is not a regular file`);
    listed.push({ path, file, bytes: info.size });
  }
  return listed;
}

/** The zip, or 'too-large' as soon as its base64 form would not fit `budget`. */
async function zipFiles(
  listed: Listed[],
  budget: number,
  signal: AbortSignal | undefined,
): Promise<Buffer | 'too-large'> {
  const chunks: Uint8Array[] = [];
  let zipBytes = 0;
  let failure: Error | undefined;
  let ended = false;
  const zip = new Zip((error, data, final) => {
    if (error) failure = error;
    chunks.push(data);
    zipBytes += data.length;
    if (final) ended = true;
  });
  const tooLarge = () => base64Bytes(zipBytes) > budget;
  try {
    for (const { path, file } of listed) {
      const entry = new ZipDeflate(path, { level: 6 });
      entry.mtime = ZIP_MTIME;
      zip.add(entry);
      let pushed = false;
      for await (const chunk of createReadStream(file, {
        highWaterMark: READ_CHUNK_BYTES,
        signal,
      }) as AsyncIterable<Buffer>) {
        entry.push(chunk);
        pushed = true;
        if (failure) throw failure;
        if (tooLarge()) return 'too-large';
        // Deflating is synchronous: yield between chunks so SIGINT/SIGTERM and timers get through.
        await new Promise<void>((done) => setImmediate(done));
        if (signal?.aborted) throw signal.reason;
      }
      entry.push(new Uint8Array(0), true);
      if (!pushed && signal?.aborted) throw signal.reason;
    }
    zip.end();
  } catch (error) {
    zip.terminate();
    if (signal?.aborted) throw signal.reason;
    throw error;
  }
  if (failure) throw failure;
  if (!ended) throw new Error('the zip did not complete');
  if (tooLarge()) return 'too-large';
  return Buffer.concat(chunks);
}

function base64Bytes(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}

function largest(listed: Listed[]): string {
  return [...listed]
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 3)
    .map((f) => `${f.path} (${formatBytes(f.bytes)})`)
    .join(', ');
}

/**
 * The files an entry matches. The part of the pattern before its first wildcard must lie inside
 * the workspace: `/**` or `../**` is refused before anything is walked.
 */
async function* expand(entry: string, root: string, excludes: string[]): AsyncGenerator<string> {
  const pattern = isAbsolute(entry) ? entry : join(root, entry);
  if (!isInside(resolve(literalBase(pattern)), root)) {
    throw new InputError(
      'files',
      `'${entry}' resolves outside the workspace ${root}; attachments must be inside $GITHUB_WORKSPACE`,
    );
  }
  const globber = await glob.create(
    [pattern, ...excludes.map((e) => `!${join(root, e.slice(1))}`)].join('\n'),
    {
      followSymbolicLinks: false,
      implicitDescendants: true,
      matchDirectories: false,
    },
  );
  yield* globber.globGenerator();
}

/** The leading path of a pattern up to (not including) the first segment with a wildcard. */
function literalBase(pattern: string): string {
  const segments = pattern.split(sep);
  const firstGlob = segments.findIndex((segment) => hasGlob(segment));
  if (firstGlob === -1) return pattern;
  return segments.slice(0, firstGlob).join(sep) || sep;
}

/** The path functions of a platform: `path.win32` on Windows runners, `path.posix` elsewhere. */
export type PathFlavour = Pick<typeof path.posix, 'relative' | 'isAbsolute' | 'sep' | 'resolve'>;

const HOST_PATHS: PathFlavour = process.platform === 'win32' ? path.win32 : path.posix;

/**
 * A file's path inside the zip: relative to the workspace, with `/` between segments on every
 * runner (AKS unpacks it on Linux), or undefined when the file is not inside the workspace.
 * Windows paths compare without case, a file on another drive or share is outside, and UNC
 * workspaces (`\\server\share\ws`) work like any other.
 */
export function archivePath(
  file: string,
  root: string,
  paths: PathFlavour = HOST_PATHS,
): string | undefined {
  if (!isInside(file, root, paths)) return undefined;
  return paths.relative(root, file).split(paths.sep).join('/');
}

/** True when `file` is the workspace itself or below it. */
export function isInside(file: string, root: string, paths: PathFlavour = HOST_PATHS): boolean {
  const rel = paths.relative(paths.resolve(root), paths.resolve(file));
  return (
    rel === '' || (rel !== '..' && !rel.startsWith(`..${paths.sep}`) && !paths.isAbsolute(rel))
  );
}

/** The path inside the zip; refuses anything whose real location (links followed) leaves the workspace. */
function workspaceRelative(file: string, root: string, entry: string): string {
  const zipped = archivePath(file, root);
  if (zipped === undefined) {
    throw new InputError(
      'files',
      `'${entry}' matches ${file}, which is outside the workspace ${root}`,
    );
  }
  const real = realpathSync(file);
  if (!isInside(real, root)) {
    throw new InputError(
      'files',
      `'${relative(root, file)}' is a symbolic link that leaves the workspace (to ${real}); attach the target itself from inside the workspace`,
    );
  }
  return zipped;
}

function hasGlob(entry: string): boolean {
  return /[*?[\]]/.test(entry);
}
