/**
 * The folder map (README, "Layout") as a test: which src folders may import
 * which, that src never imports a worker entry (workers/), that only
 * src/runtime imports a tfjs backend, and that the platform-neutral entry
 * points (the browser client, the browser training entry, the Fetch handler,
 * the edge service, the job queue, the browser worker) reach no Node built-in
 * and no `*.node.ts` module through any chain of imports, dynamic ones
 * included (bundlers follow those too).
 * Imports are read from the sources as text.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

/** What each src folder may import besides itself and src/*.ts (errors, types, random, ...). */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  runtime: [],
  losses: [],
  data: [],
  metrics: ['data'],
  weights: ['networks'],
  networks: ['runtime', 'data', 'weights'],
  optimize: ['data', 'losses'],
  export: ['networks'],
  train: ['data', 'losses', 'networks', 'weights'],
  eval: ['data', 'infer', 'losses', 'metrics', 'networks'],
  infer: ['runtime', 'data', 'networks', 'weights', 'serve'],
  serve: ['runtime', 'data', 'infer', 'networks', 'weights'],
  browser: ['runtime', 'infer', 'serve', 'weights', 'losses', 'networks', 'train'],
  queue: ['data'],
  cli: ['runtime', 'data', 'eval', 'export', 'infer', 'losses', 'metrics', 'networks', 'optimize', 'queue', 'serve', 'train', 'weights'],
};

/** Entry points that must run in browsers and edge runtimes (the job queue: every runner's, the browser client's too; the training entry in browsers). */
const PLATFORM_NEUTRAL = ['src/browser/index.ts', 'src/browser/train.ts', 'src/serve/handler.ts', 'src/serve/edge-service.ts', 'src/serve/job-queue.ts', 'workers/infer.browser.ts'];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Static imports (`import ... from`, `export ... from`; type-only ones erased) of a file. */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+'([^']+)'/gms)].filter((m) => !/^\s*import\s+type\s/.test(m[0]) && !/^\s*export\s+type\s/.test(m[0])).map((m) => m[1]!);
}

/** Static imports plus `import('...')` (a bundler follows those too). */
function allImports(file: string): string[] {
  return [...staticImports(file), ...[...readFileSync(file, 'utf8').matchAll(/import\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]!)];
}

function resolveRelative(from: string, specifier: string): string {
  return normalize(join(dirname(from), specifier)).replace(/\.js$/, '.ts');
}

const folderOf = (file: string): string | null => (file.startsWith('src/') && file.split('/').length > 2 ? file.split('/')[1]! : null);

test('every src folder imports only the folders the map allows', () => {
  const violations: string[] = [];
  for (const file of sources('src')) {
    const from = folderOf(file);
    if (from === null) continue;
    assert.ok(from in MAY_IMPORT, `src/${from} is not in the folder map: add it to MAY_IMPORT and the README`);
    for (const specifier of staticImports(file)) {
      if (!specifier.startsWith('.')) continue;
      const to = folderOf(relative('.', resolveRelative(file, specifier)));
      if (to !== null && to !== from && !MAY_IMPORT[from]!.includes(to)) violations.push(`${file} imports ${specifier} (src/${to})`);
    }
  }
  assert.equal(violations, []);
});

test('src never imports workers/ (the entries import src; their messages live in src)', () => {
  const offenders = sources('src').flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+'([^']+)'/gms)]
      .map((m) => m[1]!)
      .filter((specifier) => specifier.startsWith('.') && relative('.', resolveRelative(file, specifier)).startsWith('workers/'))
      .map((specifier) => `${file} imports ${specifier}`),
  );
  assert.equal(offenders, []);
});

test('only src/runtime imports a tfjs backend package', () => {
  const offenders = [...sources('src'), ...sources('workers')].filter(
    (file) => !file.startsWith('src/runtime/') && /from\s+'@tensorflow\/tfjs-(backend-|node)/.test(readFileSync(file, 'utf8')),
  );
  assert.equal(offenders, []);
});

test('the browser client, the browser training entry, the Fetch handler, the edge service, the job queue and the browser worker reach no Node built-in and no .node.ts module', () => {
  for (const entry of PLATFORM_NEUTRAL) {
    const seen = new Set<string>();
    const chains: string[] = [];
    const visit = (file: string, chain: string[]) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const specifier of allImports(file)) {
        if (specifier.startsWith('node:')) chains.push([...chain, file, specifier].join(' -> '));
        if (!specifier.startsWith('.')) continue;
        const target = relative('.', resolveRelative(file, specifier));
        if (target.endsWith('.node.ts')) chains.push([...chain, file, target].join(' -> '));
        else visit(target, [...chain, file]);
      }
    };
    visit(entry, []);
    assert.equal(chains, [], `${entry} must stay free of Node`);
  }
});

test.run();
