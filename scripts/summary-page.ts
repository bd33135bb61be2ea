// Shows a job summary the way GitHub shows it: the summary (GitHub-flavoured Markdown with HTML)
// goes through cmark-gfm with GitHub's extensions, into a page styled like github.com, in headless
// Chromium driven over the DevTools protocol (a pipe, no extra dependency). Used by
// `npm run screenshots` and by __tests__/e2e/summary-browser.test.ts.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Readable, Writable } from 'node:stream';

const STYLESHEET = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'summary.css');
const CHROMIUM_CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
];

/** The Chromium to use: $CHROMIUM, else the Debian one; undefined when there is none. */
export function findChromium(): string | undefined {
  const candidates = [process.env.CHROMIUM, ...CHROMIUM_CANDIDATES].filter((path): path is string =>
    Boolean(path),
  );
  return candidates.find((path) => existsSync(path));
}

/** Why the summary cannot be shown here, or undefined when Chromium and cmark-gfm are both present. */
export function missingRenderer(): string | undefined {
  if (!findChromium())
    return 'no Chromium (apt-get install chromium, or set CHROMIUM to a Chromium or Chrome binary)';
  if (spawnSync('cmark-gfm', ['--version']).status !== 0)
    return 'no cmark-gfm (apt-get install cmark-gfm)';
  return undefined;
}

/** GitHub's renderer: GFM with tables, autolinks, strikethrough and the tag filter, raw HTML kept. */
export function markdownToHtml(markdown: string): string {
  const result = spawnSync(
    'cmark-gfm',
    ['-e', 'table', '-e', 'autolink', '-e', 'strikethrough', '-e', 'tagfilter', '--unsafe'],
    { input: markdown, encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`cmark-gfm failed: ${result.stderr || result.error}`);
  return result.stdout;
}

/**
 * A page like the summary panel of a workflow run. Nothing may load from anywhere: the policy
 * allows the inline stylesheet and data: images only, so a hostile image could not phone home.
 */
export function summaryPage(markdown: string, title: string): string {
  const css = readFileSync(STYLESHEET, 'utf8');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${title.replace(/[<>&"]/g, '')}</title>
<style>${css}</style></head>
<body><div class="panel"><div class="panel-head">${title.replace(/[<>&"]/g, '')} summary</div>
<article class="markdown-body" id="summary">
${markdownToHtml(markdown)}
</article></div></body></html>
`;
}

interface CdpMessage {
  id?: number;
  method?: string;
  sessionId?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
}

/** Headless Chromium with a fresh profile, driven through --remote-debugging-pipe. */
export class Browser {
  private readonly child: ChildProcess;
  private readonly profile: string;
  private readonly input: Writable;
  private nextId = 1;
  private buffer = '';
  private readonly pending = new Map<number, (message: CdpMessage) => void>();
  private readonly listeners: ((message: CdpMessage) => void)[] = [];
  private session = '';

  private constructor(executable: string) {
    this.profile = mkdtempSync(join(tmpdir(), 'summary-chromium-'));
    this.child = spawn(
      executable,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-extensions',
        // Nothing in a summary page may reach the network; no name resolves.
        '--host-resolver-rules=MAP * ~NOTFOUND',
        `--user-data-dir=${this.profile}`,
        '--remote-debugging-pipe',
        'about:blank',
      ],
      { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
    );
    this.child.stderr?.resume();
    this.input = this.child.stdio[3] as Writable;
    (this.child.stdio[4] as Readable).on('data', (chunk: Buffer) => this.receive(chunk));
  }

  static async launch(): Promise<Browser> {
    const executable = findChromium();
    if (!executable) throw new Error(missingRenderer());
    const browser = new Browser(executable);
    const { targetId } = await browser.send('Target.createTarget', { url: 'about:blank' });
    const attached = await browser.send('Target.attachToTarget', { targetId, flatten: true });
    browser.session = String(attached.sessionId);
    await browser.page('Page.enable');
    await browser.page('Runtime.enable');
    return browser;
  }

  private receive(chunk: Buffer): void {
    this.buffer += chunk.toString('utf8');
    let end: number;
    while ((end = this.buffer.indexOf('\0')) >= 0) {
      const message = JSON.parse(this.buffer.slice(0, end)) as CdpMessage;
      this.buffer = this.buffer.slice(end + 1);
      if (message.id !== undefined) this.pending.get(message.id)?.(message);
      else for (const listener of this.listeners) listener(message);
    }
  }

  private send(
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
  ): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`Chromium did not answer ${method}`)),
        30_000,
      );
      this.pending.set(id, (message) => {
        clearTimeout(timer);
        this.pending.delete(id);
        if (message.error) reject(new Error(`${method}: ${message.error.message}`));
        else resolve(message.result ?? {});
      });
      this.input.write(`${JSON.stringify({ id, method, params, sessionId })}\0`);
    });
  }

  /** A protocol call on the page. */
  page(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    return this.send(method, params, this.session);
  }

  private nextEvent(method: string): Promise<void> {
    return new Promise((resolve) => {
      const listener = (message: CdpMessage) => {
        if (message.method !== method || message.sessionId !== this.session) return;
        this.listeners.splice(this.listeners.indexOf(listener), 1);
        resolve();
      };
      this.listeners.push(listener);
    });
  }

  /** Loads a page from a file (a file: URL, so the page has no network origin). */
  async open(html: string, width = 900): Promise<void> {
    const file = join(this.profile, `page-${this.nextId}.html`);
    writeFileSync(file, html);
    await this.page('Emulation.setDeviceMetricsOverride', {
      width,
      height: 600,
      deviceScaleFactor: 1,
      mobile: false,
    });
    const loaded = this.nextEvent('Page.loadEventFired');
    await this.page('Page.navigate', { url: pathToFileURL(file).href });
    await loaded;
  }

  /** Evaluates an expression in the page and returns its (JSON) value. */
  async evaluate<T>(expression: string): Promise<T> {
    const answer = await this.page('Runtime.evaluate', {
      expression,
      returnByValue: true,
      awaitPromise: true,
    });
    if (answer.exceptionDetails)
      throw new Error(`page: ${JSON.stringify(answer.exceptionDetails)}`);
    return (answer.result as { value: T }).value;
  }

  /** A real mouse click (pressed and released) at the centre of the first element matching `selector`. */
  async click(selector: string): Promise<void> {
    const box = await this.evaluate<{ x: number; y: number } | null>(
      `(() => { const e = document.querySelector(${JSON.stringify(selector)}); if (!e) return null;
        e.scrollIntoView(); const r = e.getBoundingClientRect();
        return { x: r.left + r.width / 2, y: r.top + r.height / 2 }; })()`,
    );
    if (!box) throw new Error(`nothing matches ${selector}`);
    for (const type of ['mousePressed', 'mouseReleased'])
      await this.page('Input.dispatchMouseEvent', { type, ...box, button: 'left', clickCount: 1 });
  }

  /** A PNG of the summary panel and its margin, however tall (not only the viewport). */
  async screenshot(): Promise<Buffer> {
    const { width, height } = await this.evaluate<{ width: number; height: number }>(
      // A click may have scrolled the page: measure from its top, where the clip starts.
      `(() => { window.scrollTo(0, 0); const r = document.querySelector('.panel').getBoundingClientRect();
        return { width: Math.ceil(r.right + r.left), height: Math.ceil(r.bottom + r.top) }; })()`,
    );
    const shot = await this.page('Page.captureScreenshot', {
      format: 'png',
      captureBeyondViewport: true,
      clip: { x: 0, y: 0, width, height, scale: 1 },
    });
    return Buffer.from(String(shot.data), 'base64');
  }

  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) resolve();
      else this.child.once('exit', () => resolve());
    });
    await this.send('Browser.close').catch(() => this.child.kill('SIGKILL'));
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
    rmSync(this.profile, { recursive: true, force: true });
  }
}
