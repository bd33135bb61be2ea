// CHANGELOG.md in the Keep a Changelog form: `## [Unreleased]`, then `## [X.Y.Z] - YYYY-MM-DD`
// sections, each with `### Added` / `### Changed` / … lists, and link references at the end.
// Pure text functions, used by scripts/release.ts.

const SECTION = /^## \[([^\]]+)\](?: - (\S+))?[ \t]*$/gm;

interface Section {
  name: string;
  /** Offsets of the heading line and of the end of the section (next `## ` or the links). */
  start: number;
  bodyStart: number;
  end: number;
}

function sections(text: string): Section[] {
  const linksAt = text.search(/^\[[^\]]+\]: /m);
  const limit = linksAt < 0 ? text.length : linksAt;
  const found = [...text.matchAll(SECTION)].filter((m) => m.index < limit);
  return found.map((m, i) => ({
    name: m[1]!,
    start: m.index,
    bodyStart: m.index + m[0].length,
    end: found[i + 1]?.index ?? limit,
  }));
}

function section(text: string, name: string): Section | undefined {
  return sections(text).find((s) => s.name.toLowerCase() === name.toLowerCase());
}

/** `### Heading` blocks of a section body, in order, each with its lines (blank lines trimmed). */
function subsections(body: string): [string, string][] {
  const parts: [string, string][] = [];
  for (const chunk of body.split(/^(?=### )/m)) {
    const match = /^### (.+)\n?([\s\S]*)$/.exec(chunk);
    if (match) parts.push([match[1]!.trim(), match[2]!.trim()]);
    else if (chunk.trim()) parts.push(['', chunk.trim()]);
  }
  return parts;
}

function renderSubsections(parts: [string, string][]): string {
  return parts
    .map(([heading, lines]) => (heading ? `### ${heading}\n\n${lines}` : lines))
    .join('\n\n');
}

/** The release notes of a version: its section without the heading. Throws when there is none. */
export function releaseNotes(text: string, version: string): string {
  const found = section(text, version);
  if (!found) throw new Error(`CHANGELOG.md has no section ## [${version}]`);
  const notes = text.slice(found.bodyStart, found.end).trim();
  if (!notes) throw new Error(`CHANGELOG.md: the section of ${version} is empty`);
  return `${notes}\n`;
}

/**
 * Moves the entries under Unreleased into `## [version] - date`: a new section below Unreleased,
 * or a section prepared in advance (its lists get Unreleased's entries, its date becomes `date`).
 * Unreleased is left empty, and the link references follow (`compare/vX.Y.Z...HEAD`).
 */
export function releaseChangelog(text: string, version: string, date: string): string {
  const unreleased = section(text, 'Unreleased');
  if (!unreleased) throw new Error('CHANGELOG.md has no ## [Unreleased] section');
  const pending = subsections(text.slice(unreleased.bodyStart, unreleased.end));
  const prepared = section(text, version);
  if (pending.length === 0 && !prepared)
    throw new Error('CHANGELOG.md: nothing under ## [Unreleased] to release');
  const heading = `## [${version}] - ${date}`;
  let out: string;
  if (prepared) {
    const merged = subsections(text.slice(prepared.bodyStart, prepared.end));
    for (const [name, lines] of pending) {
      const same = merged.find(([existing]) => existing.toLowerCase() === name.toLowerCase());
      if (same) same[1] = `${lines}\n${same[1]}`;
      else merged.push([name, lines]);
    }
    out =
      text.slice(0, unreleased.bodyStart) +
      '\n\n' +
      text.slice(unreleased.end, prepared.start) +
      `${heading}\n\n${renderSubsections(merged)}\n\n` +
      text.slice(prepared.end);
  } else {
    out =
      text.slice(0, unreleased.bodyStart) +
      `\n\n${heading}\n\n${renderSubsections(pending)}\n\n` +
      text.slice(unreleased.end);
  }
  return updateLinks(out, version);
}

function updateLinks(text: string, version: string): string {
  const unreleasedLink =
    /^\[Unreleased\]: (\S+)\/compare\/(v[^.\s]+\.[^.\s]+\.[^.\s]+)\.\.\.HEAD$/im.exec(text);
  if (!unreleasedLink) return text;
  const [line, base, previous] = unreleasedLink as unknown as [string, string, string];
  const current = `v${version}`;
  let out = text.replace(line, `[Unreleased]: ${base}/compare/${current}...HEAD`);
  if (!new RegExp(`^\\[${version.replace(/\./g, '\\.')}\\]: `, 'm').test(out)) {
    const link =
      previous === current
        ? `${base}/releases/tag/${current}`
        : `${base}/compare/${previous}...${current}`;
    out = out.replace(
      `[Unreleased]: ${base}/compare/${current}...HEAD`,
      `[Unreleased]: ${base}/compare/${current}...HEAD\n[${version}]: ${link}`,
    );
  }
  return out;
}
