// What a person sees in the job summary: the bundle's summary goes through GitHub's Markdown
// renderer (cmark-gfm with GitHub's extensions, raw HTML kept) into headless Chromium, and the
// test reads the page the way a reader would: the headline, the status and exit code cells, the
// collapsed output that opens on a click, and no link, image or heading made from service text.
// Skipped, saying why, only where Chromium or cmark-gfm cannot be found (.ci/run installs both).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { emulatorPerFile } from '../helpers/emulator.ts';
import { runAction } from '../helpers/action.ts';
import { Browser, missingRenderer, summaryPage } from '../../scripts/summary-page.ts';

const missing = missingRenderer();
if (missing) console.log(`# summary-browser: skipped: ${missing}`);

/** Service text that would become markup if it were not escaped: every URL stays on loopback. */
const HOSTILE = [
  '# Heading from the cluster',
  '## Second heading',
  '[a link](http://127.0.0.1:9/phish)',
  '![an image](http://127.0.0.1:9/pixel.png)',
  'http://127.0.0.1:9/autolinked',
  'www.example.invalid/autolinked',
  '<img src="http://127.0.0.1:9/raw.png">',
  '<a href="http://127.0.0.1:9/raw">raw anchor</a>',
  '</pre></details><h1>escaped the block</h1>',
  '</td></tr></table><h2>escaped the table</h2>',
  '***',
  '~~struck~~',
];

interface Seen {
  headings: { tag: string; text: string }[];
  links: number;
  images: number;
  rows: Record<string, string>;
  detailsOpen: boolean | null;
  outputVisible: boolean;
  outputText: string;
  text: string;
}

const READ_PAGE = `(() => {
  const root = document.querySelector('#summary');
  const pre = root.querySelector('details pre');
  const rows = {};
  for (const tr of root.querySelectorAll('tr')) {
    const th = tr.querySelector('th'), td = tr.querySelector('td');
    if (th && td) rows[th.innerText.trim()] = td.innerText.trim();
  }
  return {
    headings: [...root.querySelectorAll('h1,h2,h3,h4,h5,h6')].map((h) => ({ tag: h.tagName, text: h.innerText })),
    links: root.querySelectorAll('a').length,
    images: root.querySelectorAll('img, picture, svg, iframe, object, embed').length,
    rows,
    detailsOpen: root.querySelector('details') ? root.querySelector('details').open : null,
    outputVisible: pre ? pre.checkVisibility() && pre.getBoundingClientRect().height > 0 : false,
    outputText: pre ? pre.textContent : '',
    text: root.innerText,
  };
})()`;

describe('the job summary as GitHub shows it', { skip: missing ?? false }, () => {
  const lab = emulatorPerFile();
  let browser: Browser;
  before(async () => {
    browser = await Browser.launch();
  });
  after(() => browser?.close());

  async function show(summary: string): Promise<Seen> {
    await browser.open(summaryPage(summary, 'step'));
    return browser.evaluate<Seen>(READ_PAGE);
  }

  function assertNoMarkupFromService(seen: Seen, headline: RegExp): void {
    assert.equal(seen.links, 0, 'a link was made from service text');
    assert.equal(seen.images, 0, 'an image was made from service text');
    assert.equal(seen.headings.length, 1, JSON.stringify(seen.headings));
    assert.equal(seen.headings[0]!.tag, 'H3');
    assert.match(seen.headings[0]!.text, headline);
  }

  it('shows the status and exit code, folds hostile output that opens as plain text', async () => {
    const c = lab.emu.addCluster({ resourceGroup: 'rg-summary', name: `aks-${lab.seq()}` });
    const script = HOSTILE.map((line) => `printf '%s\\n' '${line.replace(/'/g, `'\\''`)}'`);
    const run = await runAction(
      { cluster: c.resourceId, command: `${script.join('; ')}; exit 3` },
      lab.emu,
    );
    assert.equal(run.code, 1, run.stdout + run.stderr);

    const closed = await show(run.summary);
    assertNoMarkupFromService(
      closed,
      /^❌ run-command: the command ran and exited 3, which is not in success-exit-codes \(0\)$/,
    );
    assert.equal(closed.rows.Status, '❌ Succeeded');
    assert.equal(closed.rows['Exit code'], '3');
    assert.equal(closed.detailsOpen, false, 'the output starts folded');
    assert.equal(closed.outputVisible, false, 'folded output is not shown');
    assert.match(closed.text, /Command output/);

    await browser.click('#summary details > summary');
    const open = await browser.evaluate<Seen>(READ_PAGE);
    assert.equal(open.detailsOpen, true, 'a click on the summary line opens the output');
    assert.equal(open.outputVisible, true);
    // Every hostile line is there, as the characters the command printed.
    assert.equal(open.outputText.trimEnd(), HOSTILE.join('\n'));
    assertNoMarkupFromService(open, /exited 3, which is not in success-exit-codes \(0\)$/);
  });

  // A blank line in a failure reason used to end the <p>/<td> HTML block, and GitHub rendered the
  // rest as Markdown. The assertions are what a reader must see; do not weaken them.
  it('a failure reason from the service renders as text, never as markup', async () => {
    const reason = `PodFailed\n\n${HOSTILE.join('\n\n')}`;
    const c = lab.emu.addCluster({
      resourceGroup: 'rg-summary',
      name: `aks-${lab.seq()}`,
      commandFailure: { reason },
    });
    const run = await runAction({ cluster: c.resourceId, command: 'kubectl get pods' }, lab.emu);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const seen = await show(run.summary);
    assertNoMarkupFromService(seen, /^❌ run-command failed: Failed$/);
    assert.equal(seen.rows.Status, '❌ Failed');
    assert.match(seen.rows.Reason ?? '', /PodFailed/);
    assert.match(seen.text, /\[a link\]\(http:\/\/127\.0\.0\.1:9\/phish\)/);
    assert.match(seen.text, /# Heading from the cluster/);
  });
});
