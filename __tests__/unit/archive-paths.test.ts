// Attachments keep their workspace-relative paths with `/` whatever the runner's platform: the
// path logic is a pure function of the platform's path module, tested here with both.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { archivePath, isInside } from '../../src/operations/attachments.ts';

const { win32, posix } = path;

describe('archivePath on Windows runners (path.win32)', () => {
  it('gives workspace-relative paths with forward slashes', () => {
    const ws = 'D:\\a\\repo\\repo';
    assert.equal(
      archivePath('D:\\a\\repo\\repo\\k8s\\app\\deploy.yaml', ws, win32),
      'k8s/app/deploy.yaml',
    );
    assert.equal(archivePath('D:\\a\\repo\\repo\\values.yaml', ws, win32), 'values.yaml');
  });

  it('compares drive letters and names without case, as Windows does', () => {
    assert.equal(
      archivePath('d:\\A\\Repo\\repo\\k8s\\x.yaml', 'D:\\a\\repo\\repo', win32),
      'k8s/x.yaml',
    );
    assert.equal(archivePath('C:\\work\\K8S\\X.yaml', 'c:\\WORK', win32), 'K8S/X.yaml');
  });

  it('accepts forward slashes in Windows paths (as @actions/glob may hand them)', () => {
    assert.equal(archivePath('C:/work/ws/k8s/a.yaml', 'C:\\work\\ws', win32), 'k8s/a.yaml');
  });

  it('refuses files on another drive, above the workspace, or beside it with a common prefix', () => {
    assert.equal(archivePath('E:\\ws\\a.yaml', 'D:\\ws', win32), undefined);
    assert.equal(archivePath('D:\\secrets.txt', 'D:\\ws', win32), undefined);
    assert.equal(archivePath('D:\\ws-other\\a.yaml', 'D:\\ws', win32), undefined);
    assert.equal(archivePath('D:\\ws\\..\\x.yaml', 'D:\\ws', win32), undefined);
  });

  it('works with UNC workspaces and refuses another share', () => {
    const ws = '\\\\fileserver\\builds\\ws';
    assert.equal(archivePath('\\\\fileserver\\builds\\ws\\k8s\\a.yaml', ws, win32), 'k8s/a.yaml');
    assert.equal(archivePath('\\\\FILESERVER\\Builds\\ws\\b.txt', ws, win32), 'b.txt');
    assert.equal(archivePath('\\\\fileserver\\other\\ws\\a.yaml', ws, win32), undefined);
    assert.equal(archivePath('\\\\otherserver\\builds\\ws\\a.yaml', ws, win32), undefined);
    assert.equal(archivePath('C:\\ws\\a.yaml', ws, win32), undefined);
  });

  it('a file named like ".." inside the workspace is still inside', () => {
    assert.equal(archivePath('D:\\ws\\..data\\a.yaml', 'D:\\ws', win32), '..data/a.yaml');
    assert.ok(isInside('D:\\ws', 'D:\\ws', win32));
  });
});

describe('archivePath on Linux and macOS runners (path.posix)', () => {
  it('gives workspace-relative paths', () => {
    const ws = '/Users/runner/work/repo/repo';
    assert.equal(archivePath(`${ws}/k8s/deploy.yaml`, ws, posix), 'k8s/deploy.yaml');
  });

  it('is case-sensitive and keeps a backslash as part of a file name', () => {
    assert.equal(archivePath('/home/runner/WS/a.yaml', '/home/runner/ws', posix), undefined);
    assert.equal(archivePath('/ws/odd\\name.txt', '/ws', posix), 'odd\\name.txt');
  });

  it('refuses anything outside the workspace', () => {
    assert.equal(archivePath('/etc/passwd', '/ws', posix), undefined);
    assert.equal(archivePath('/ws2/a', '/ws', posix), undefined);
    assert.equal(archivePath('/ws/../etc/passwd', '/ws', posix), undefined);
  });
});
