/**
 * @file Builds the edge worker (worker.ts) with esbuild, once per runtime:
 * - `dist/workerd/`: worker.js, next to it the modules it imports (the
 *   `.wasm` files, which workerd compiles when it loads the worker, and the
 *   `.safetensors` models, as data), and config.capnp, a workerd config
 *   serving it on 127.0.0.1:8787;
 * - `dist/deno/worker.js`: one file with the binaries inlined as bytes
 *   (Deno compiles WebAssembly at run time), for `deno serve`, and
 *   main.js, which serves it with `Deno.serve`.
 *
 *   node examples/edge/build.mjs [--outdir DIR]
 *   npx workerd serve examples/edge/dist/workerd/config.capnp
 *   npx deno serve --port 8787 examples/edge/dist/deno/worker.js
 *
 * Inside this repository `perceptual/...` resolves to the sources (src/,
 * models/, wasm/); in a project that installed perceptual, to the package.
 * `process` is defined away: Deno has a Node-style `process` global, and
 * with it tfjs and the emscripten glue take Deno for Node and reach for
 * `require('fs')` and `__dirname`.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { noNodeBuiltins } from '../web/build.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');

/** workerd's compatibility date for the worker (a date this workerd release supports). */
export const COMPATIBILITY_DATE = '2025-09-01';

/** The address config.capnp listens on (override with `workerd serve ... --socket-addr http=HOST:PORT`). */
export const DEFAULT_ADDRESS = '127.0.0.1:8787';

/** True when this file sits in the perceptual repository (so `perceptual/...` means its sources). */
async function insideRepository() {
  const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8').catch(() => '{}'));
  return manifest.name === 'perceptual';
}

/** Resolves `perceptual/edge`, `perceptual/models/*` and `perceptual/wasm/*` to this repository's files. */
function perceptualFromSources() {
  return {
    name: 'perceptual-from-sources',
    setup(build) {
      build.onResolve({ filter: /^perceptual\// }, (args) => {
        const subpath = args.path.slice('perceptual/'.length);
        if (subpath === 'edge') return { path: join(root, 'src', 'serve', 'edge-service.ts') };
        if (/^(models|wasm)\/[^/]+$/.test(subpath)) return { path: join(root, subpath) };
        return { errors: [{ text: `perceptual/${subpath} is not an export this build knows (perceptual/edge, perceptual/models/*, perceptual/wasm/*)` }] };
      });
    },
  };
}

/** The `Deno.serve` entry next to the `deno serve` one (Deno Deploy, `deno run --allow-net main.js`). */
const DENO_MAIN = `// Written by examples/edge/build.mjs: the worker of worker.js under Deno.serve
// (deno run --allow-net main.js; Deno Deploy). \`deno serve worker.js\` runs the same worker.
import worker from './worker.js';

Deno.serve((request) => worker.fetch(request));
`;

/** workerd's config: one worker with its modules, one HTTP socket. */
function capnpConfig(modules, address) {
  const lines = modules.map(({ name, kind }) => `    (name = ${JSON.stringify(name)}, ${kind} = embed ${JSON.stringify(name)}),`);
  return `# Written by examples/edge/build.mjs: workerd serve config.capnp [--socket-addr http=HOST:PORT]
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "perceptual", worker = .perceptualWorker)],
  sockets = [(name = "http", address = ${JSON.stringify(address)}, http = (), service = "perceptual")],
);

const perceptualWorker :Workerd.Worker = (
  modules = [
${lines.join('\n')}
  ],
  compatibilityDate = ${JSON.stringify(COMPATIBILITY_DATE)},
);
`;
}

/**
 * Builds both targets.
 * @param {{ outdir?: string, minify?: boolean, entry?: string, address?: string }} [options]
 *   entry: the worker source (default examples/edge/worker.ts)
 * @returns {Promise<{ outdir: string, workerd: { dir: string, config: string, bytes: Record<string, number> }, deno: { file: string, main: string, bytes: number } }>}
 */
export async function buildEdge(options = {}) {
  const outdir = resolve(options.outdir ?? join(here, 'dist'));
  const entry = resolve(options.entry ?? join(here, 'worker.ts'));
  const lazy = [];
  const plugins = [noNodeBuiltins(lazy), ...((await insideRepository()) ? [perceptualFromSources()] : [])];
  const common = {
    absWorkingDir: root,
    entryPoints: { worker: entry },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: options.minify ?? true,
    define: { process: 'undefined' },
    metafile: true,
    logLevel: 'silent',
    plugins,
  };
  const workerdDir = join(outdir, 'workerd');
  const denoDir = join(outdir, 'deno');
  await rm(workerdDir, { recursive: true, force: true });
  await rm(denoDir, { recursive: true, force: true });
  await mkdir(workerdDir, { recursive: true });
  await mkdir(denoDir, { recursive: true });
  const [workerd, deno] = await Promise.all([
    esbuild.build({ ...common, outdir: workerdDir, loader: { '.wasm': 'copy', '.safetensors': 'copy' }, assetNames: '[name]' }),
    esbuild.build({ ...common, outdir: denoDir, loader: { '.wasm': 'binary', '.safetensors': 'binary' } }),
  ]);
  if (lazy.length > 0) throw new Error(`The edge worker reaches Node-only code through lazy imports: ${[...new Set(lazy)].join('; ')}. Keep it to platform-neutral modules.`);
  const bytes = Object.fromEntries(Object.entries(workerd.metafile.outputs).map(([file, info]) => [relative(workerdDir, resolve(root, file)), info.bytes]));
  const modules = Object.keys(bytes).map((name) => ({ name, kind: name.endsWith('.wasm') ? 'wasm' : name.endsWith('.js') ? 'esModule' : 'data' }));
  // The main module comes first: workerd runs the first module's default export.
  modules.sort((a, b) => Number(b.name === 'worker.js') - Number(a.name === 'worker.js'));
  const config = join(workerdDir, 'config.capnp');
  await writeFile(config, capnpConfig(modules, options.address ?? DEFAULT_ADDRESS));
  const denoFile = join(denoDir, 'worker.js');
  const denoMain = join(denoDir, 'main.js');
  await writeFile(denoMain, DENO_MAIN);
  return { outdir, workerd: { dir: workerdDir, config, bytes }, deno: { file: denoFile, main: denoMain, bytes: Object.values(deno.metafile.outputs)[0].bytes } };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--outdir');
  const built = await buildEdge(at > 0 ? { outdir: process.argv[at + 1] } : {});
  const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
  for (const [file, size] of Object.entries(built.workerd.bytes)) console.log(`workerd/${file}  ${kib(size)}`);
  console.log(`deno/worker.js  ${kib(built.deno.bytes)}`);
  const at2 = relative(process.cwd(), built.outdir);
  console.log(`Run: npx workerd serve ${join(at2, 'workerd', 'config.capnp')}   (http://${DEFAULT_ADDRESS})`);
  console.log(`  or: npx deno serve --port 8787 ${join(at2, 'deno', 'worker.js')}`);
  console.log(`  or: npx deno run --allow-net ${join(at2, 'deno', 'main.js')}   (Deno.serve, port 8000)`);
}
