// Preloaded into every benchmarked process with NODE_OPTIONS=--import=<this file>: on exit it
// writes the process's peak resident set size (KiB, from process.resourceUsage().maxRSS) to the
// file named by BENCH_RSS_FILE. Ordinary Node: nothing in the measured program changes.
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_RSS_FILE;
if (file) {
  process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS)));
}
