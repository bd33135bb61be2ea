import { run } from './main.ts';

await run();
// Sockets kept alive by a library must not keep a finished step running.
setTimeout(() => process.exit(), 1_000).unref();
