/**
 * The browser path must bundle for `platform: 'browser'` with no Node
 * builtin (browsers and edge runtimes have none): builds the example page and
 * the public src/browser barrel with the build's `no-node-builtins` guard,
 * and checks that the guard does reject a Node import. The page's build also
 * copies the models its gallery and SR mode offer, from a registry.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NODE_IMPORT } from '../helpers/node-imports.js';

interface BuildModule {
  buildExample(options: { outdir: string; minify?: boolean; models: string | null }): Promise<{
    outdir: string;
    bytes: Record<string, number>;
    models: string[];
    skippedModels: string[];
    lazyNodeImports: string[];
  }>;
  noNodeBuiltins(lazy?: string[]): esbuild.Plugin;
}
const root = fileURLToPath(new URL('../../', import.meta.url));
const { buildExample, noNodeBuiltins } = (await import('../../examples/web/build.mjs' as string)) as BuildModule;
function bundle(contents: string, resolveDir: string): Promise<esbuild.BuildResult> {
  return esbuild.build({ stdin: { contents, resolveDir, loader: 'ts' }, bundle: true, write: false, platform: 'browser', format: 'esm', logLevel: 'silent', plugins: [noNodeBuiltins()] });
}

test('the example page and worker bundle for the browser without Node imports; the style models and the default SR model are copied', async () => {
  const work = await mkdtemp(join(tmpdir(), 'perceptual-bundle-'));
  try {
    const registry = join(work, 'registry');
    await mkdir(registry);
    await writeFile(
      join(registry, 'index.json'),
      JSON.stringify({
        defaults: { style: 'wave', sr: 'sr-big' },
        models: [
          { name: 'wave', task: 'style', file: 'wave.safetensors', description: 'a wave (models/wave.md)' },
          { name: 'untrained', task: 'style', file: 'untrained.safetensors', description: 'no file yet' },
          { name: 'sr-small', task: 'sr', file: 'sr-small.safetensors', description: 'not the default' },
          { name: 'sr-big', task: 'sr', file: 'sr-big.safetensors', description: 'the default SR' },
        ],
      }),
    );
    for (const file of ['wave', 'sr-small', 'sr-big']) await writeFile(join(registry, `${file}.safetensors`), file);
    const site = join(work, 'site');
    const built = await buildExample({ outdir: site, minify: true, models: registry });
    assert.equal(built.models, ['wave', 'sr-big']);
    assert.equal(built.skippedModels, ['untrained']);
    assert.equal((await readdir(join(site, 'models'))).sort(), ['index.json', 'sr-big.safetensors', 'wave.safetensors']);
    const index = JSON.parse(await readFile(join(site, 'models', 'index.json'), 'utf8'));
    assert.equal(index.defaults, { style: 'wave', sr: 'sr-big' });
    assert.equal(index.models.map((m: { name: string }) => m.name), ['wave', 'sr-big']);
    assert.is(await readFile(join(site, 'models', 'wave.safetensors'), 'utf8'), 'wave');
    assert.equal(Object.keys(built.bytes).sort(), ['main.js', 'worker.js']);
    for (const file of ['main.js', 'worker.js']) {
      const text = await readFile(join(site, file), 'utf8');
      assert.not.match(text, NODE_IMPORT, `${file} imports a Node module`);
    }
    // The page bundle holds only the comlink client: tfjs lives in the worker.
    assert.ok(built.bytes['main.js']! < 64 * 1024, `main.js is ${built.bytes['main.js']} bytes`);
    const wasm = await readFile(join(site, 'wasm', 'tfjs-backend-wasm-simd.wasm'));
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
