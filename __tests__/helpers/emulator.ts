// One emulator per test file: started before its tests, stopped after them.
import { after, before } from 'node:test';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../emulator/index.ts';

export interface Lab {
  /** The file's emulator (available inside tests and hooks). */
  readonly emu: Emulator;
  /** 1, 2, 3, …: for unique cluster names within the file. */
  seq(): number;
}

export function emulatorPerFile(options?: EmulatorOptions): Lab {
  let emu: Emulator | undefined;
  let counter = 0;
  before(async () => {
    emu = await startEmulator(options);
  });
  after(() => emu?.stop());
  return {
    get emu() {
      if (!emu) throw new Error('the emulator starts in before(): use it inside tests and hooks');
      return emu;
    },
    seq: () => ++counter,
  };
}
