/**
 * @file Backend candidates for browsers, Web Workers and edge runtimes: WebGPU
 * (webgpu-candidate.browser.ts), WASM (SIMD where the engine has it), then
 * plain-JavaScript CPU. No `node:` import and no `process`: this file must
 * bundle for `platform: 'browser'` (test/browser/browser-bundle.test.ts checks it). Like candidates.node.ts,
 * `probe` answers without importing a backend and `load` does not activate one.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from './backends.js';
import { registerKernels } from './kernels/register-kernels.js';
import { wasmSimdSupported, wasmSupported } from './wasm-features.js';
import { WEBGPU_BROWSER_CANDIDATE } from './webgpu-candidate.browser.js';

/**
 * The backends a browser or edge runtime can load, in order of preference: a
 * GPU through WebGPU first (its candidate refuses a software adapter unless
 * forced), then WASM.
 */
export const BROWSER_BACKEND_ORDER: readonly BackendName[] = Object.freeze(['webgpu', 'wasm', 'cpu']);

/** The tfjs-backend-wasm binaries a page must serve under its `wasmPath` (the threaded build is never used). */
export const BROWSER_WASM_BINARIES = Object.freeze(['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm'] as const);

/** Options that affect how browser candidates load. */
export interface BrowserCandidateOptions {
  /**
   * URL prefix of the folder serving {@link BROWSER_WASM_BINARIES}, e.g.
   * `https://example.com/static/wasm/` or `/wasm/`. Relative prefixes are
   * resolved by `fetch` against the page (or the worker script) URL.
   * Required for the wasm backend: bundlers do not copy the binaries.
   */
  readonly wasmPath?: string;
}

/** What selectBrowserBackend passes to a candidate's `load`. */
export interface BrowserLoadOptions extends BrowserCandidateOptions {
  /** The backend was named (options.backend): a software WebGPU adapter is then accepted. */
  readonly forced?: boolean;
}

/** One backend as a browser can load it. */
export interface BrowserCandidate {
  readonly name: BackendName;
  readonly packageName: string;
  /** Answers without importing or activating anything. */
  probe(options?: BrowserCandidateOptions): { available: boolean; reason: string };
  /** Imports and prepares the backend (does not `setBackend`). @throws Error saying why it cannot be used. */
  load(options?: BrowserLoadOptions): Promise<{ tfBackend: string; details: Record<string, string | number | boolean> }>;
}

/** `prefix` with exactly one trailing slash (tfjs appends the file name to it). */
export function normaliseWasmPath(prefix: string): string {
  return prefix.endsWith('/') ? prefix : `${prefix}/`;
}

/** The browser candidates, by name (webgpu, wasm and cpu exist here). */
export const BROWSER_CANDIDATES: Readonly<Partial<Record<BackendName, BrowserCandidate>>> = Object.freeze({
  webgpu: WEBGPU_BROWSER_CANDIDATE,
  wasm: {
    name: 'wasm',
    packageName: '@tensorflow/tfjs-backend-wasm',
    probe(options: BrowserCandidateOptions = {}) {
      if (!wasmSupported()) return { available: false, reason: 'this JavaScript engine has no WebAssembly' };
      if (options.wasmPath === undefined || options.wasmPath === '') {
        return { available: false, reason: 'no wasmPath given (pass the URL prefix serving tfjs-backend-wasm*.wasm)' };
      }
      return { available: true, reason: `${wasmSimdSupported() ? 'SIMD' : 'no SIMD'}, binaries under ${options.wasmPath}` };
    },
    async load(options: BrowserCandidateOptions = {}) {
      const probe = this.probe(options);
      if (!probe.available) throw new Error(probe.reason);
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      // Read once, when the backend first initialises (tfjs-backend-wasm base.ts).
      wasm.setWasmPaths(normaliseWasmPath(options.wasmPath!));
      // The same kernels as in Node (Winograd convs and the rest, src/runtime/kernels).
      registerKernels('wasm');
      // One thread per worker, never the threaded build: it needs
      // cross-origin isolation (COOP/COEP headers) for SharedArrayBuffer, and
      // parallelism comes from running several workers (wasm/README.md).
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
      const file = simd ? BROWSER_WASM_BINARIES[1] : BROWSER_WASM_BINARIES[0];
      return { tfBackend: 'wasm', details: { simd, threads: 1, binary: `${normaliseWasmPath(options.wasmPath!)}${file}`, version: wasm.version_wasm } };
    },
  },
  cpu: {
    name: 'cpu',
    packageName: '@tensorflow/tfjs-backend-cpu',
    probe() {
      return { available: true, reason: 'plain JavaScript (always loads, slowest)' };
    },
    async load() {
      const cpu = await import('@tensorflow/tfjs-backend-cpu');
      // Its "running in Node.js" banner (backend_cpu.ts `firstUse`) is noise when Node tests drive this path.
      const backend = tf.findBackend('cpu') as (tf.KernelBackend & { firstUse?: unknown }) | null;
      if (backend !== null && typeof backend.firstUse === 'boolean') backend.firstUse = false;
      return { tfBackend: 'cpu', details: { version: cpu.version_cpu } };
    },
  },
});
