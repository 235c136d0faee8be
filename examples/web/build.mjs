/**
 * @file Builds the example page with esbuild into examples/web/dist (or
 * `outdir`): main.js (page), worker.js (workers/infer.browser.ts, an ES
 * module worker), index.html, wasm/ (tfjs-backend-wasm's plain and SIMD
 * binaries) and models/: the bundled models the page offers (every style
 * model of models/index.json, for the gallery, and the default SR model),
 * with an index.json listing those that exist.
 *
 *   node examples/web/build.mjs            # then serve examples/web/dist
 *   node examples/web/build.mjs --outdir /tmp/site
 *
 * The bundles target `platform: 'browser'`; the `no-node-builtins` plugin
 * fails the build if our own code statically imports a Node builtin (lazy
 * Node-only imports are left out and listed), so the same worker
 * code also runs in edge runtimes. (esbuild itself rejects builtins that a
 * dependency imports without mapping them away in its `browser` field.)
 */
import { builtinModules, createRequire } from 'node:module';
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const require = createRequire(import.meta.url);

const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** True when a source file statically imports a `node:` builtin (our sources always use the prefix). */
async function importsNodeStatically(file) {
  const text = await readFile(file, 'utf8').catch(() => '');
  return /^\s*import\s[^;]*?from\s+['"]node:/m.test(text);
}

/**
 * An esbuild plugin that keeps Node out of the browser bundles:
 * - a static import of a Node builtin from our own code (outside node_modules) fails the build;
 * - a dynamic `import()` from our code of a builtin, or of one of our modules that
 *   statically imports one (such as src/runtime's lazy imports of Node-only
 *   backends), is left out of the bundle as an external: it only runs if that
 *   Node-only function is called.
 * Each such external is pushed to `lazy` so the caller can report it.
 * @param {string[]} [lazy]
 */
export function noNodeBuiltins(lazy = []) {
  return {
    name: 'no-node-builtins',
    setup(build) {
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.importer === '' || args.importer.includes(`${sep}node_modules${sep}`) || args.pluginData?.inner) return undefined;
        const importer = relative(root, args.importer);
        if (builtins.has(args.path)) {
          if (args.kind === 'dynamic-import') {
            lazy.push(`${importer} -> ${args.path}`);
            return { path: args.path, external: true };
          }
          return { errors: [{ text: `${importer} imports the Node builtin '${args.path}', which browsers and edge runtimes lack. Move that code to a .node.ts file.` }] };
        }
        if (args.kind === 'dynamic-import' && args.path.startsWith('.')) {
          const resolved = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: { inner: true } });
          if (resolved.errors.length === 0 && (await importsNodeStatically(resolved.path))) {
            lazy.push(`${importer} -> ${relative(root, resolved.path)}`);
            return { path: args.path, external: true };
          }
        }
        return undefined;
      });
    },
  };
}

/**
 * Copies the models the page offers from the registry in `from` (models/index.json:
 * every style model and the default SR model) into `to`, with an index.json of the same
 * shape listing only those copied; a model whose file is missing (not trained yet) is skipped.
 * @param {string} from
 * @param {string} to
 * @returns {Promise<{ copied: string[], skipped: string[] }>}
 */
async function copyModels(from, to) {
  const registryPath = join(from, 'index.json');
  let registry;
  try {
    registry = JSON.parse(await readFile(registryPath, 'utf8'));
  } catch (error) {
    throw new Error(`Cannot read the model registry ${registryPath}: ${error.message}. Pass models: null to build without models, or fix that file.`, { cause: error });
  }
  if (!Array.isArray(registry?.models)) throw new Error(`${registryPath} has no "models" array. Fix that file (see src/weights/model-registry.ts).`);
  const defaults = registry.defaults ?? {};
  const wanted = registry.models.filter((m) => m?.task === 'style' || (m?.task === 'sr' && m.name === defaults.sr));
  const copied = [];
  const skipped = [];
  await mkdir(to, { recursive: true });
  for (const model of wanted) {
    // The file name is used in a URL and a path: a plain name only.
    if (typeof model.file !== 'string' || basename(model.file) !== model.file) throw new Error(`${registryPath}: model ${JSON.stringify(model.name)} has file ${JSON.stringify(model.file)}; use a file name inside the models folder.`);
    const source = join(from, model.file);
    if ((await stat(source).catch(() => null)) === null) {
      skipped.push(model.name);
      continue;
    }
    await copyFile(source, join(to, model.file));
    copied.push(model);
  }
  const names = new Set(copied.map((m) => m.name));
  const index = {
    about: `The models examples/web/build.mjs copied from ${relative(root, registryPath)}: every style model (the gallery) and the default SR model.`,
    defaults: Object.fromEntries(Object.entries(defaults).filter(([, name]) => names.has(name))),
    models: copied.map(({ name, task, file, description }) => ({ name, task, file, description })),
  };
  await writeFile(join(to, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
  return { copied: [...names], skipped };
}

/** The entry points, relative to the repository root. */
export const ENTRIES = Object.freeze({ main: 'examples/web/main.ts', worker: 'workers/infer.browser.ts' });

/**
 * Bundles the page and copies its static files.
 * @param {{ outdir?: string, minify?: boolean, models?: string | null }} [options]
 *   models: the folder holding the registry (index.json) and model files (default the
 *   repository's models/; null: copy none, and the page finds no models/index.json)
 * @returns {Promise<{ outdir: string, bytes: Record<string, number>, models: string[], skippedModels: string[], lazyNodeImports: string[] }>}
 *   models: the names copied; skippedModels: those whose file is missing
 */
export async function buildExample(options = {}) {
  const outdir = resolve(options.outdir ?? join(here, 'dist'));
  await mkdir(join(outdir, 'wasm'), { recursive: true });
  const lazyNodeImports = [];
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, join(root, file)])),
    outdir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome109', 'firefox115', 'safari16.4'],
    minify: options.minify ?? true,
    sourcemap: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [noNodeBuiltins(lazyNodeImports)],
  });
  const bytes = Object.fromEntries(Object.entries(result.metafile.outputs).map(([file, info]) => [relative(outdir, resolve(root, file)), info.bytes]));
  await copyFile(join(here, 'index.html'), join(outdir, 'index.html'));
  const wasmDist = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  for (const file of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm']) await copyFile(join(wasmDist, file), join(outdir, 'wasm', file));
  const modelsDir = options.models === undefined ? join(root, 'models') : options.models;
  const { copied, skipped } = modelsDir === null ? { copied: [], skipped: [] } : await copyModels(modelsDir, join(outdir, 'models'));
  return { outdir, bytes, models: copied, skippedModels: skipped, lazyNodeImports: [...new Set(lazyNodeImports)] };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--outdir');
  const built = await buildExample(at > 0 ? { outdir: process.argv[at + 1] } : {});
  for (const entry of built.lazyNodeImports) console.log(`left out (Node-only, lazily imported): ${entry}`);
  for (const [file, size] of Object.entries(built.bytes)) console.log(`${file}  ${(size / 1024).toFixed(0)} KiB`);
  console.log(`models: ${built.models.join(', ') || 'none'}`);
  if (built.skippedModels.length > 0) console.warn(`not copied (file missing; train or fetch it first): ${built.skippedModels.join(', ')}`);
  console.log(`Built ${built.outdir}. Serve it over http (e.g. npx http-server ${relative(process.cwd(), built.outdir)} or python3 -m http.server -d ${relative(process.cwd(), built.outdir)}) and open index.html.`);
}
