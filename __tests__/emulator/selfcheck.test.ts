// The emulator is checked against the protocol in the notes by its own self-checks (raw HTTPS,
// no action involved), so an end-to-end failure can be told apart from an emulator fault.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { it } from 'node:test';
import { ROOT } from '../../harness/run-action.ts';

for (const script of ['emulator/selfcheck.ts', 'emulator/service-fabric-selfcheck.ts']) {
  it(`${script} passes`, { timeout: 120_000 }, () => {
    const result = spawnSync(process.execPath, [script], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 110_000,
    });
    assert.equal(result.status, 0, `${result.stdout.slice(-4000)}\n${result.stderr.slice(-2000)}`);
    assert.doesNotMatch(result.stdout, /^FAIL/m);
  });
}
