import { readFileSync, realpathSync, statSync } from 'node:fs';
import path, { isAbsolute, join, relative, resolve } from 'node:path';
import * as glob from '@actions/glob';
import { zipSync, type Zippable } from 'fflate';
import { InputError } from './errors.ts';
import { formatBytes } from './summary.ts';

/** ARM commonly rejects request bodies over 4 MB; the zip travels base64-encoded inside the JSON body. */
export const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
const BODY_OVERHEAD_BYTES = 8 * 1024;

export interface Attachment {
  /** Base64 of the zip, for the `context` field. */
  context: string;
  files: { path: string; bytes: number }[];
  bytes: number;
  zipBytes: number;
}

/**
 * Zips the `files` entries (files, folders, globs) with their workspace-relative paths. Refuses,
 * before any call, anything outside the workspace, a pattern that matches nothing, and a zip too
 * large for the request.
 */
export async function buildAttachment(
  entries: string[],
  workspace: string,
  commandBytes: number,
): Promise<Attachment | undefined> {
  if (entries.length === 0) return undefined;
  const root = realpathSync(workspace);
  const excludes = entries.filter((e) => e.startsWith('!'));
  const files = new Map<string, string>();
  for (const entry of entries.filter((e) => !e.startsWith('!'))) {
    for (const file of await expand(entry, root, excludes))
      files.set(workspaceRelative(file, root, entry), file);
  }
  const listed = [...files.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([path, file]) => ({ path, file, bytes: statSync(file).size }));
  const tree: Zippable = {};
  for (const { path, file } of listed) tree[path] = readFileSync(file);
  const zip = zipSync(tree, { level: 6, mtime: new Date('1980-01-01T00:00:00Z') });
  const context = Buffer.from(zip).toString('base64');
  const requestBytes = context.length + commandBytes + BODY_OVERHEAD_BYTES;
  if (requestBytes > MAX_REQUEST_BYTES) {
    const largest = [...listed].sort((a, b) => b.bytes - a.bytes).slice(0, 3);
    throw new InputError(
      'files',
      `the attachment makes a request of ${formatBytes(requestBytes)} (${listed.length} files, ${formatBytes(zip.length)} zipped, base64-encoded), over the service's limit of about ${formatBytes(MAX_REQUEST_BYTES)}; largest: ${largest.map((f) => `${f.path} (${formatBytes(f.bytes)})`).join(', ')}`,
      'Attach only what the command needs (a folder of manifests, not the repository), or pull large artifacts from a registry inside the command.',
    );
  }
  return {
    context,
    files: listed.map(({ path, bytes }) => ({ path, bytes })),
    bytes: listed.reduce((sum, f) => sum + f.bytes, 0),
    zipBytes: zip.length,
  };
}

async function expand(entry: string, root: string, excludes: string[]): Promise<string[]> {
  const pattern = isAbsolute(entry) ? entry : join(root, entry);
  if (!isInside(resolve(pattern), root) && !hasGlob(entry)) {
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
  const matches = await globber.glob();
  if (matches.length === 0) {
    throw new InputError('files', `'${entry}' matches no file in the workspace ${root}`);
  }
  return matches;
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
