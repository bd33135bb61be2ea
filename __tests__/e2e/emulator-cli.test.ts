// `npm run emulator` prints the exact commands that run the bundle against its ARM and its Service
// Fabric gateway: this test copies them from its output into a shell, as a reader would.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../../harness/run-action.ts';
import { parseOutputFile } from '../../harness/outputs.ts';

/** Starts emulator/cli.ts and resolves with everything it printed up to "Press Ctrl+C". */
function startCli(dataDir: string): Promise<{ banner: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [join(ROOT, 'emulator', 'cli.ts')], {
    env: { PATH: process.env.PATH, EMULATOR_QUIET: '1', EMULATOR_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let banner = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the emulator did not come up:\n${banner}`));
    }, 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      banner += chunk.toString();
      if (banner.includes('Press Ctrl+C to stop.')) {
        clearTimeout(timer);
        resolve({
          banner,
          // The emulator removes nothing of EMULATOR_DATA_DIR; wait for it to exit before cleaning up.
          stop: () =>
            new Promise((done) => {
              child.removeAllListeners('exit');
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the emulator exited (${code}):\n${banner}`));
    });
  });
}

/** The `env … node dist/index.js` commands of the banner, continuation lines and all. */
function printedCommands(banner: string): string[] {
  return [...banner.matchAll(/^ {2}(env \\\n(?: {4}.*\\\n)+ {4}.*dist\/index\.js'?)$/gm)].map(
    (m) => m[1]!,
  );
}

function outputsOf(command: string): Record<string, string> {
  const file = /GITHUB_OUTPUT='([^']+)'/.exec(command)?.[1];
  assert.ok(file, command);
  return parseOutputFile(readFileSync(file, 'utf8'));
}

describe('npm run emulator', () => {
  it('prints commands that run the bundle against its ARM and its Service Fabric gateway', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'emulator-cli-'));
    const cli = await startCli(dataDir);
    try {
      assert.match(cli.banner, /runs as a real shell on this machine/);
      const [arm, serviceFabric, ...rest] = printedCommands(cli.banner);
      assert.ok(arm && serviceFabric, cli.banner);
      assert.deepEqual(rest, []);
      assert.match(arm, /'INPUT_ARM-ENDPOINT=https:\/\/127\.0\.0\.1:\d+'/);

      // A plain shell with nothing from this process: the command carries everything it needs.
      const shell = (command: string) =>
        spawnSync('bash', ['-c', command], {
          env: { PATH: '/usr/bin:/bin', HOME: dataDir },
          encoding: 'utf8',
          timeout: 120_000,
        });
      const ran = shell(arm);
      assert.equal(ran.status, 0, ran.stdout + ran.stderr);
      const armOutputs = outputsOf(arm);
      assert.equal(armOutputs.status, 'Succeeded');
      assert.match(armOutputs.logs ?? '', /^hello from /m);

      const cancelled = shell(serviceFabric);
      assert.equal(cancelled.status, 0, cancelled.stdout + cancelled.stderr);
      const sfOutputs = outputsOf(serviceFabric);
      assert.equal(sfOutputs.status, 'Cancelled');
      assert.match(cli.banner, new RegExp(`running fault operation ${sfOutputs['operation-id']}`));
    } finally {
      await cli.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
