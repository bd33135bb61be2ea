// `node bench/steps.ts`: what each change to the auto schedule bought on the duration mix,
// computed with the model of bench/model.ts (the last row is the real schedule of src/timing.ts).
import {
  actionModel,
  figures,
  frontier,
  frontierLatencyAt,
  SHORT_MIX,
  START_DELAYS,
  tenMinutes,
  WIDE_MIX,
  type ClientModel,
} from './model.ts';

const OLD_WAITS = [1.2, 1.8, 2.5, 4, 5.5, 7, 9, 11];

function schedule(
  label: string,
  first: number,
  wait: (t: number, look: number) => number,
): ClientModel {
  return {
    id: label,
    label,
    callsBeforeLooks: 1,
    looks(horizon) {
      const looks = [first];
      for (let i = 1; looks.at(-1)! < horizon; i++)
        looks.push(looks.at(-1)! + wait(looks.at(-1)!, i));
      return looks;
    },
  };
}

const STEPS: ClientModel[] = [
  schedule(
    'before: 1.2, 1.8, 2.5, 4, 5.5, 7, 9, 11 s, then 12 s',
    1.2,
    (_t, i) => OLD_WAITS[i] ?? 12,
  ),
  schedule(
    '1. no look before a pod can have run: first at 4 s, then 5.5, 7, 9, 11, 12 s',
    4,
    (_t, i) => OLD_WAITS[i + 3] ?? 12,
  ),
  schedule('2. even looks while short commands end: every 4.5 s to 80 s, then 12 s', 4, (t) =>
    t < 80 ? 4.5 : 12,
  ),
  schedule('3. growing waits after 80 s: 4.5 s × (t / 80 s)², to 12 s', 4, (t) =>
    Math.min(12, 4.5 * Math.max(1, t / 80) ** 2),
  ),
  schedule('4. the ceiling at 15 s', 4, (t) => Math.min(15, 4.5 * Math.max(1, t / 80) ** 2)),
  {
    ...actionModel(),
    label: '5. at the ceiling, looks on a grid 8 s past multiples of 15 s (auto now)',
  },
];

console.log(
  '| schedule | ' +
    START_DELAYS.map((s) => `start delay ${s} s: requests, mean latency (frontier)`).join(' | ') +
    ' | 10 min: requests, mean latency | 5 s–10 min mix, 4 s: requests, mean latency |',
);
console.log('| --- |' + START_DELAYS.map(() => ' --- |').join('') + ' --- | --- |');
for (const step of STEPS) {
  const cells = START_DELAYS.map((s) => {
    const f = figures(step, s, SHORT_MIX.dense);
    const bound = frontierLatencyAt(frontier(s, SHORT_MIX.dense), f.meanRequests);
    return `${f.meanRequests.toFixed(1)}, ${f.meanLatency.toFixed(2)} s (${bound.toFixed(2)} s)`;
  });
  const ten = tenMinutes(step, 4);
  const wide = figures(step, 4, WIDE_MIX.dense);
  console.log(
    `| ${step.label} | ${cells.join(' | ')} | ${ten.meanRequests.toFixed(1)}, ${ten.meanLatency.toFixed(1)} s | ${wide.meanRequests.toFixed(1)}, ${wide.meanLatency.toFixed(2)} s |`,
  );
}
