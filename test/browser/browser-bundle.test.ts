/**
 * The browser path must bundle for `platform: 'browser'` with no Node
 * builtin (browsers and edge runtimes have none): builds the example page and
 * the public src/browser barrel with the build's `no-node-builtins` guard,
 * and checks that the guard does reject a Node import.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

interface BuildModule {
  buildExample(options: { outdir: string; minify?: boolean; model: null }): Promise<{ outdir: string; bytes: Record<string, number>; lazyNodeImports: string[] }>;
  noNodeBuiltins(lazy?: string[]): esbuild.Plugin;
}
const root = fileURLToPath(new URL('../../', import.meta.url));
const { buildExample, noNodeBuiltins } = (await import('../../examples/web/build.mjs' as string)) as BuildModule;
// Module specifiers only: tfjs-backend-wasm's emscripten glue carries a
// `require("worker_threads")` inside the source text of its (unused, threaded)
// pthread worker, guarded by ENVIRONMENT_IS_NODE; that string is not an import.
const NODE_IMPORT = /\bfrom\s*["']node:|\bimport\s*\(\s*["']node:|\brequire\s*\(\s*["']node:/;

function bundle(contents: string, resolveDir: string): Promise<esbuild.BuildResult> {
  return esbuild.build({ stdin: { contents, resolveDir, loader: 'ts' }, bundle: true, write: false, platform: 'browser', format: 'esm', logLevel: 'silent', plugins: [noNodeBuiltins()] });
}

test('the example page and worker bundle for the browser without Node imports', async () => {
  const work = await mkdtemp(join(tmpdir(), 'perceptual-bundle-'));
  try {
    const built = await buildExample({ outdir: work, minify: true, model: null });
    assert.equal(Object.keys(built.bytes).sort(), ['main.js', 'worker.js']);
    for (const file of ['main.js', 'worker.js']) {
      const text = await readFile(join(work, file), 'utf8');
      assert.not.match(text, NODE_IMPORT, `${file} imports a Node module`);
    }
    // The page bundle holds only the comlink client: tfjs lives in the worker.
    assert.ok(built.bytes['main.js']! < 64 * 1024, `main.js is ${built.bytes['main.js']} bytes`);
    const wasm = await readFile(join(work, 'wasm', 'tfjs-backend-wasm-simd.wasm'));
    assert.equal([...wasm.subarray(0, 4)], [0, 0x61, 0x73, 0x6d], 'the SIMD binary is copied');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test('the public browser barrel bundles for the browser', async () => {
  const result = await bundle("export * from './index.js';", join(root, 'src', 'browser'));
  const text = result.outputFiles![0]!.text;
  assert.match(text, /createBrowserStylizer/);
  assert.not.match(text, NODE_IMPORT);
});

test('the guard rejects a static Node builtin import from our code, naming file and module', async () => {
  let error: unknown;
  try {
    await bundle("import { readFileSync } from 'node:fs'; console.log(readFileSync);", join(root, 'src', 'browser'));
  } catch (caught) {
    error = caught;
  }
  assert.instance(error, Error);
  assert.match((error as Error).message, /imports the Node builtin 'node:fs', which browsers and edge runtimes lack/);
});

test.run();
