import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

/**
 * The shape of the code, held by a test: no module of src/ or emulator/ reaches itself through its
 * imports (type-only imports count: a cycle of types is still a cycle a reader must untangle), and
 * src/ imports only downward through its layers.
 */

const root = resolve(import.meta.dirname, '../..');

/**
 * src/'s folders from the bottom up: a module may import its own folder and the folders before it,
 * never one after it. main.ts and index.ts sit on top and may import anything.
 */
const SRC_LAYERS = [
  'base',
  'waiting',
  'inputs',
  'network',
  'azure',
  'service-fabric',
  'report',
  'operations',
  '.',
];

function tsFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));
}

/** Relative imports and re-exports of a file, static or dynamic, type-only or not. */
export function importsOf(source: string): string[] {
  const specifiers = new Set<string>();
  // Comments may quote imports; they are not edges.
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const patterns = [
    /^\s*(?:import|export)\s+(?:type\s+)?(?:[\w*\s{},]*?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]/gm,
    /\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) {
    for (const match of code.matchAll(pattern)) if (match[1]) specifiers.add(match[1]);
  }
  return [...specifiers];
}

/** file → the files of `dir` it imports (imports leaving `dir` are not followed). */
function graphOf(dir: string): Map<string, string[]> {
  const files = tsFiles(dir);
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const targets = importsOf(readFileSync(join(root, file), 'utf8'))
      .map((spec) => relative(root, resolve(root, dirname(file), spec)))
      .filter((target) => known.has(target));
    graph.set(file, targets);
  }
  return graph;
}

/** Strongly connected components with more than one file (or a file importing itself): Tarjan. */
export function cyclesOf(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    indices.set(node, index);
    low.set(node, index++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!indices.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, indices.get(next)!));
      }
    }
    if (low.get(node) !== indices.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (graph.get(node) ?? []).includes(node))
      cycles.push(component.sort());
  };
  for (const node of [...graph.keys()].sort()) if (!indices.has(node)) visit(node);
  return cycles;
}

/** Each cycle's files, and the imports that close it, so the message says what to untangle. */
function describeCycles(graph: Map<string, string[]>, cycles: string[][]): string {
  return cycles
    .map((cycle) => {
      const edges = cycle.flatMap((from) =>
        (graph.get(from) ?? []).filter((to) => cycle.includes(to)).map((to) => `${from} -> ${to}`),
      );
      return `  ${cycle.join(', ')}\n    ${edges.join('\n    ')}`;
    })
    .join('\n');
}

function layerOf(file: string): number {
  const folder = relative('src', dirname(file)).split('/')[0] || '.';
  const layer = SRC_LAYERS.indexOf(folder);
  assert.notEqual(layer, -1, `${file} is in a folder the layer list does not name (${folder})`);
  return layer;
}

describe('import graph', () => {
  it('finds a cycle and a type-only import (the checker can fail)', () => {
    assert.deepEqual(
      importsOf(
        "import type { A } from './a.ts';\nexport { b } from '../b.ts';\n// import { c } from './c.ts';\nconst d = await import('./d.ts');\nimport x from 'node:fs';",
      ),
      ['./a.ts', '../b.ts', './d.ts'],
    );
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    assert.deepEqual(cyclesOf(graph), [['a', 'b', 'c']]);
  });

  it('src/ has no import cycles', () => {
    const graph = graphOf('src');
    const cycles = cyclesOf(graph);
    assert.deepEqual(cycles, [], `import cycles in src/:\n${describeCycles(graph, cycles)}`);
  });

  it('src/ imports only downward through its layers', () => {
    const upward: string[] = [];
    for (const [file, targets] of graphOf('src')) {
      for (const target of targets) {
        if (layerOf(target) > layerOf(file)) upward.push(`  ${file} -> ${target}`);
      }
    }
    assert.deepEqual(
      upward,
      [],
      `a lower layer imports a higher one (order: ${SRC_LAYERS.join(' < ')}):\n${upward.join('\n')}`,
    );
  });

  it('emulator/ has no import cycles', () => {
    const graph = graphOf('emulator');
    const cycles = cyclesOf(graph);
    assert.deepEqual(cycles, [], `import cycles in emulator/:\n${describeCycles(graph, cycles)}`);
  });
});
