// Loaded with NODE_OPTIONS=--import by tests that measure the action's peak memory: on exit it
// writes the process's peak resident set size (KiB) to the file named by RSS_PROBE_FILE.
import { writeFileSync } from 'node:fs';

const target = process.env.RSS_PROBE_FILE;
if (target) {
  process.on('exit', () => writeFileSync(target, String(process.resourceUsage().maxRSS)));
}
