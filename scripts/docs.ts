// Regenerates the inputs and outputs tables of README.md from action.yml (between the
// <!-- inputs --> / <!-- outputs --> markers). `--check` fails when the README is out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import { format, resolveConfig } from 'prettier';
import { parse } from 'yaml';

interface ActionYaml {
  inputs: Record<string, { description: string; default?: string; required?: boolean }>;
  outputs: Record<string, { description: string }>;
}

const cell = (text: string) => text.replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim();

export function renderTables(actionYaml: string): { inputs: string; outputs: string } {
  const action = parse(actionYaml) as ActionYaml;
  const inputs = [
    '| input | default | description |',
    '| --- | --- | --- |',
    ...Object.entries(action.inputs).map(
      ([name, input]) =>
        `| \`${name}\` | ${input.required ? '(required)' : input.default !== undefined ? `\`${input.default}\`` : ''} | ${cell(input.description)} |`,
    ),
  ].join('\n');
  const outputs = [
    '| output | description |',
    '| --- | --- |',
    ...Object.entries(action.outputs).map(
      ([name, output]) => `| \`${name}\` | ${cell(output.description)} |`,
    ),
  ].join('\n');
  return { inputs, outputs };
}

export function updateReadme(readme: string, tables: { inputs: string; outputs: string }): string {
  let text = readme;
  for (const [marker, table] of Object.entries(tables)) {
    const pattern = new RegExp(`(<!-- ${marker} -->)[\\s\\S]*?(<!-- /${marker} -->)`);
    if (!pattern.test(text)) throw new Error(`README.md has no <!-- ${marker} --> section`);
    text = text.replace(pattern, `$1\n${table}\n$2`);
  }
  return text;
}

if (import.meta.main) {
  const readme = readFileSync('README.md', 'utf8');
  // Formatted as `prettier --check` expects, so the two checks agree.
  const updated = await format(
    updateReadme(readme, renderTables(readFileSync('action.yml', 'utf8'))),
    {
      ...(await resolveConfig('README.md')),
      parser: 'markdown',
    },
  );
  if (process.argv.includes('--check')) {
    if (updated !== readme) {
      console.error('README.md inputs/outputs are out of date: run npm run docs');
      process.exit(1);
    }
  } else {
    writeFileSync('README.md', updated);
  }
}
