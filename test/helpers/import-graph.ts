/**
 * The import graph of the source tree, read from the TypeScript sources themselves (not from
 * dist/): every relative `import`/`export … from`/dynamic `import()` of every file, and every bare
 * specifier (`node:fs`, `@nats-io/…`). Used by the architecture test to check the layering rules.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

export interface SourceFile {
  /** Path relative to the root, with `/`, e.g. `kernel/core/fold/index.ts`. */
  readonly path: string;
  /** Files of the tree this one imports (paths as above). */
  readonly local: readonly string[];
  /** Bare specifiers it imports at run time (`node:v8`, `@nats-io/jetstream`, `zod`). */
  readonly packages: readonly string[];
  /** Bare specifiers it imports for types only (`import type`), erased from the JavaScript. */
  readonly typePackages: readonly string[];
  /** The source with comments removed, for checks of what the code calls. */
  readonly code: string;
}

const SPECIFIER = /(?:^|[^\w$.])(?:import|export)\s*(type\s+)?(?:[\w$*{}\s,]+?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Strip comments and the contents of template/string literals that are not import specifiers. */
export function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

export interface Specifier {
  readonly spec: string;
  /** `import type …` / `export type … from`: nothing of it is loaded at run time. */
  readonly typeOnly: boolean;
}

export function specifiersOf(text: string): Specifier[] {
  const code = stripComments(text);
  const out: Specifier[] = [];
  for (const m of code.matchAll(SPECIFIER)) out.push({ spec: (m[2] ?? m[3])!, typeOnly: m[1] !== undefined });
  return out;
}

function walk(root: string, dir: string, out: string[]): void {
  for (const name of readdirSync(join(root, dir))) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const rel = dir === '' ? name : `${dir}/${name}`;
    const st = statSync(join(root, rel));
    if (st.isDirectory()) walk(root, rel, out);
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(rel);
  }
}

/** Read every .ts/.tsx file under the given top-level folders of root. */
export function readGraph(root: string, folders: readonly string[]): Map<string, SourceFile> {
  const paths: string[] = [];
  for (const f of folders) {
    try {
      if (statSync(join(root, f)).isDirectory()) walk(root, f, paths);
    } catch {
      // a folder that does not exist (yet) has no files
    }
  }
  const known = new Set(paths);
  const graph = new Map<string, SourceFile>();
  for (const path of paths) {
    const text = readFileSync(join(root, path), 'utf8');
    const local: string[] = [];
    const packages: string[] = [];
    const typePackages: string[] = [];
    for (const { spec, typeOnly } of specifiersOf(text)) {
      if (!spec.startsWith('.')) {
        (typeOnly ? typePackages : packages).push(spec);
        continue;
      }
      const base = normalize(join(dirname(path), spec)).split('\\').join('/');
      const candidates = [base.replace(/\.js$/, '.ts'), base.replace(/\.js$/, '.tsx'), `${base}.ts`, `${base}/index.ts`];
      const hit = candidates.find((c) => known.has(c));
      if (hit !== undefined) local.push(hit);
      else if (!/\.(json|css|svg|html)$/.test(spec)) local.push(relative('.', base));
    }
    graph.set(path, { path, local, packages, typePackages, code: stripComments(text) });
  }
  return graph;
}

/** Every cycle of the graph, each once (as the list of files around it, starting at its smallest). */
export function cyclesOf(graph: ReadonlyMap<string, SourceFile>): string[][] {
  // Tarjan's strongly connected components; a component of more than one file, or a file that
  // imports itself, holds a cycle. One cycle per component is reported (enough to fix it).
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const cycles: string[][] = [];
  const strong = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v)?.local ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      const selfLoop = comp.length === 1 && (graph.get(v)?.local ?? []).includes(v);
      if (comp.length > 1 || selfLoop) cycles.push(pathWithin(graph, new Set(comp)));
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) strong(v);
  return cycles;
}

/** One concrete cycle inside a strongly connected component: a walk from its smallest file back to it. */
function pathWithin(graph: ReadonlyMap<string, SourceFile>, comp: ReadonlySet<string>): string[] {
  const start = [...comp].sort()[0]!;
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v)?.local ?? []) {
      if (!comp.has(w)) continue;
      if (w === start) {
        const path = [v];
        for (let p = v; p !== start; ) path.unshift((p = prev.get(p)!));
        return path;
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start];
}
