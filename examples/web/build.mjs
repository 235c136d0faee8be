/**
 * @file Builds the example page with esbuild into examples/web/dist (or
 * `outdir`): main.js (page), worker.js (workers/infer.browser.ts, an ES
 * module worker), index.html, wasm/ (tfjs-backend-wasm's plain and SIMD
 * binaries) and models/starter-style.safetensors when it exists.
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
import { copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
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

/** The entry points, relative to the repository root. */
export const ENTRIES = Object.freeze({ main: 'examples/web/main.ts', worker: 'workers/infer.browser.ts' });

/**
 * Bundles the page and copies its static files.
 * @param {{ outdir?: string, minify?: boolean, model?: string | null }} [options]
 *   model: the model file to copy to models/starter-style.safetensors (default the repository's; null: none)
 * @returns {Promise<{ outdir: string, bytes: Record<string, number>, model: boolean, lazyNodeImports: string[] }>}
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
  const model = options.model === undefined ? join(root, 'models', 'starter-style.safetensors') : options.model;
  let copied = false;
  if (model !== null && (await stat(model).catch(() => null)) !== null) {
    await mkdir(join(outdir, 'models'), { recursive: true });
    await copyFile(model, join(outdir, 'models', 'starter-style.safetensors'));
    copied = true;
  }
  return { outdir, bytes, model: copied, lazyNodeImports: [...new Set(lazyNodeImports)] };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--outdir');
  const built = await buildExample(at > 0 ? { outdir: process.argv[at + 1] } : {});
  for (const entry of built.lazyNodeImports) console.log(`left out (Node-only, lazily imported): ${entry}`);
  for (const [file, size] of Object.entries(built.bytes)) console.log(`${file}  ${(size / 1024).toFixed(0)} KiB`);
  if (!built.model) console.warn('models/starter-style.safetensors does not exist yet: the default model will 404 (train it, or upload a model in the page).');
  console.log(`Built ${built.outdir}. Serve it over http (e.g. npx http-server ${relative(process.cwd(), built.outdir)} or python3 -m http.server -d ${relative(process.cwd(), built.outdir)}) and open index.html.`);
}
