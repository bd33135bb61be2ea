// Scripted answers: the emulator answers a given path with answers fixed in advance, in order,
// after its front door has checked the token as usual. Replay tests build these from the facts of
// recorded live exchanges (status codes, headers, fields and their order).

export interface ScriptedAnswer {
  status: number;
  headers?: Record<string, string>;
  /** A JSON value (sent in its own field order), or the body text as it is. */
  body?: unknown;
}

export interface ScriptRule {
  method: string;
  /** The path without the query, compared without case (ARM paths are case-insensitive). */
  path: string;
  answers: ScriptedAnswer[];
}

export interface ScriptHandle {
  /** How many of the answers have been given. */
  served(): number;
}

interface Entry {
  rule: ScriptRule;
  served: number;
}

export class ScriptBook {
  #entries: Entry[] = [];

  add(rule: ScriptRule): ScriptHandle {
    const entry: Entry = { rule, served: 0 };
    this.#entries.push(entry);
    return { served: () => entry.served };
  }

  /** The next answer for this request, if a script covers it; the last answer repeats. */
  take(method: string, pathname: string): ScriptedAnswer | undefined {
    const key = pathname.toLowerCase();
    const entry = this.#entries.find(
      (e) =>
        e.rule.method.toUpperCase() === method.toUpperCase() && e.rule.path.toLowerCase() === key,
    );
    if (!entry || entry.rule.answers.length === 0) return undefined;
    const answer = entry.rule.answers[Math.min(entry.served, entry.rule.answers.length - 1)];
    entry.served++;
    return answer;
  }
}
