/**
 * @file Backend candidates for Node. `probe` answers without activating or
 * importing a backend; each `load` explains in its error why it cannot be used.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { firstLine } from '../first-line.js';
import { type BackendName, WASM_PATH_ENV_VAR } from './backends.js';
import { registerKernels } from './kernels/register-kernels.js';
import { wasmSimdSupported, wasmSupported } from './wasm-features.js';
import { makeWebGpuNodeCandidate } from './webgpu-candidate.node.js';

const require = createRequire(import.meta.url);

/** What a probe found: whether the backend can be tried here, and why (not). */
export interface ProbeResult {
  readonly available: boolean;
  readonly reason: string;
}

/** Options that affect how candidates load. */
export interface CandidateOptions {
  /** Where the `.wasm` files are: a folder or a URL prefix (overrides `PERCEPTUAL_WASM_PATH`). */
  readonly wasmPath?: string;
  /** Environment to read `PERCEPTUAL_WASM_PATH` and `CUDA_VISIBLE_DEVICES` from. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The backend was named (--backend, PERCEPTUAL_BACKEND): a software WebGPU adapter is then accepted. */
  readonly forced?: boolean;
}

/** One backend as Node can load it. */
export interface NodeCandidate {
  readonly name: BackendName;
  /** The npm package that provides it. */
  readonly packageName: string;
  /** Answers without importing or activating anything. */
  probe(options?: CandidateOptions): Promise<ProbeResult>;
  /** Imports and prepares the backend (does not `setBackend`). @throws Error saying why it cannot be used. */
  load(options?: CandidateOptions): Promise<{ tfBackend: string; details: Record<string, string | number | boolean> }>;
}

/** True when a CUDA device node or driver is visible to this process. */
export function cudaGpuVisible(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  if (env.CUDA_VISIBLE_DEVICES === '' || env.CUDA_VISIBLE_DEVICES === '-1') return false;
  return existsSync('/dev/nvidia0') || existsSync('/proc/driver/nvidia/gpus');
}

/** The installed version of npm package `name`, or undefined when it is not installed. */
export function packageVersionOf(name: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

async function loadNative(pkg: string): Promise<{ tfBackend: string; details: Record<string, string | number | boolean> }> {
  const version = packageVersionOf(pkg);
  if (version === undefined) throw new Error(`${pkg} is not installed (it is optional: npm install ${pkg})`);
  try {
    await import(pkg);
  } catch (error) {
    throw new Error(`${pkg} ${version} is installed but failed to load: ${firstLine(error)}`);
  }
  if (!tf.findBackend('tensorflow')) throw new Error(`${pkg} loaded but registered no 'tensorflow' backend`);
  return { tfBackend: 'tensorflow', details: { package: pkg, version } };
}

/** The stock tfjs-backend-wasm `.wasm` file names. */
export const WASM_BINARIES = Object.freeze({
  plain: 'tfjs-backend-wasm.wasm',
  simd: 'tfjs-backend-wasm-simd.wasm',
  threadedSimd: 'tfjs-backend-wasm-threaded-simd.wasm',
} as const);

/**
 * Where the tfjs-backend-wasm `.wasm` binaries are: `options.wasmPath`, else
 * `PERCEPTUAL_WASM_PATH`, else the installed package's `dist` folder. A
 * relative folder is resolved against the working directory; a URL prefix
 * (`https:`, `file:`) is returned unchanged, for bundlers and edge runtimes.
 * @throws Error when no override is given and tfjs-backend-wasm is not installed.
 */
export function wasmBinaryDirectory(options: CandidateOptions = {}): string {
  const override = options.wasmPath ?? (options.env ?? process.env)[WASM_PATH_ENV_VAR];
  if (override !== undefined && override !== '') {
    return /^[a-z][a-z0-9+.-]+:/i.test(override) && !isAbsolute(override) ? override : resolve(override);
  }
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
}

/** True for a URL prefix rather than a folder on this machine. */
function isUrlPrefix(directory: string): boolean {
  return /^[a-z][a-z0-9+.-]+:/i.test(directory) && !isAbsolute(directory);
}

/** The binary tfjs-backend-wasm will fetch here, and whether it exists (undefined for URLs). */
export function wasmBinaryPath(options: CandidateOptions = {}): { path: string; exists: boolean | undefined } {
  const directory = wasmBinaryDirectory(options);
  const file = wasmSimdSupported() ? WASM_BINARIES.simd : WASM_BINARIES.plain;
  if (isUrlPrefix(directory)) return { path: `${directory.replace(/\/$/, '')}/${file}`, exists: undefined };
  const path = join(directory, file);
  return { path, exists: existsSync(path) };
}

/**
 * Silences tfjs-backend-cpu's "Hi, looks like you are running TensorFlow.js in
 * Node.js ..." banner, which it prints on its first tensor write when IS_NODE
 * (tfjs-backend-cpu/src/backend_cpu.ts, `firstUse`). We only reach the CPU
 * backend knowingly, and `Runtime.reason` says why, so the advice is noise.
 */
function silenceCpuBanner(): void {
  const backend = tf.findBackend('cpu') as (tf.KernelBackend & { firstUse?: unknown }) | null;
  if (backend !== null && typeof backend.firstUse === 'boolean') backend.firstUse = false;
}

/** The Node candidates, by name. */
export const CANDIDATES: Readonly<Record<BackendName, NodeCandidate>> = Object.freeze({
  'node-gpu': {
    name: 'node-gpu',
    packageName: '@tensorflow/tfjs-node-gpu',
    async probe(options: CandidateOptions = {}): Promise<ProbeResult> {
      if (!cudaGpuVisible(options.env)) return { available: false, reason: 'no CUDA GPU visible (/dev/nvidia0 absent or CUDA_VISIBLE_DEVICES empty)' };
      const version = packageVersionOf(this.packageName);
      return version === undefined
        ? { available: false, reason: `${this.packageName} is not installed (npm install ${this.packageName})` }
        : { available: true, reason: `${this.packageName} ${version} installed and a CUDA GPU is visible (not loaded yet)` };
    },
    async load(options: CandidateOptions = {}) {
      if (!cudaGpuVisible(options.env)) throw new Error('no CUDA GPU visible (/dev/nvidia0 absent or CUDA_VISIBLE_DEVICES empty)');
      return loadNative('@tensorflow/tfjs-node-gpu');
    },
  },
  webgpu: makeWebGpuNodeCandidate(packageVersionOf),
  node: {
    name: 'node',
    packageName: '@tensorflow/tfjs-node',
    async probe(): Promise<ProbeResult> {
      const version = packageVersionOf(this.packageName);
      return version === undefined
        ? { available: false, reason: `${this.packageName} is not installed (npm install ${this.packageName})` }
        : { available: true, reason: `${this.packageName} ${version} installed (not loaded yet)` };
    },
    load: () => loadNative('@tensorflow/tfjs-node'),
  },
  wasm: {
    name: 'wasm',
    packageName: '@tensorflow/tfjs-backend-wasm',
    async probe(options: CandidateOptions = {}): Promise<ProbeResult> {
      if (!wasmSupported()) return { available: false, reason: 'this JavaScript engine has no WebAssembly' };
      const version = packageVersionOf(this.packageName);
      if (version === undefined) return { available: false, reason: `${this.packageName} is not installed` };
      const binary = wasmBinaryPath(options);
      if (binary.exists === false) return { available: false, reason: `${binary.path} does not exist (set ${WASM_PATH_ENV_VAR} to the folder holding it)` };
      return { available: true, reason: `${this.packageName} ${version}, ${wasmSimdSupported() ? 'SIMD' : 'no SIMD'}, binary ${binary.path}` };
    },
    async load(options: CandidateOptions = {}) {
      if (!wasmSupported()) throw new Error('this JavaScript engine has no WebAssembly');
      const binary = wasmBinaryPath(options);
      if (binary.exists === false) throw new Error(`${binary.path} does not exist (set ${WASM_PATH_ENV_VAR} to the folder holding it)`);
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      const directory = wasmBinaryDirectory(options);
      // Only read when the backend first initialises; later calls change nothing.
      wasm.setWasmPaths(directory.endsWith('/') ? directory : `${directory}/`);
      registerKernels('wasm');
      // Threads: one single-threaded WASM-SIMD instance per worker, cores used
      // by worker pools, never tfjs's threaded build. In Node the stock
      // threaded build fails (it spawns a blob: worker: ERR_WORKER_PATH;
      // https://github.com/tensorflow/tfjs/issues/3830), a patched loader
      // relies on tfjs internals and caps its pool at os.cpus().length / 2,
      // while a pool of single-thread workers scales with the cores, and SIMD
      // alone is several times plain WASM. Measurements: wasm/README.md
      // ("SIMD", "Threads") and bench/RESULTS.md ("Worker pool throughput").
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
      return { tfBackend: 'wasm', details: { simd, threads: 1, binary: binary.path, version: wasm.version_wasm } };
    },
  },
  cpu: {
    name: 'cpu',
    packageName: '@tensorflow/tfjs-backend-cpu',
    async probe(): Promise<ProbeResult> {
      const version = packageVersionOf(this.packageName);
      return version === undefined
        ? { available: false, reason: `${this.packageName} is not installed` }
        : { available: true, reason: `${this.packageName} ${version}, plain JavaScript (always loads, slowest)` };
    },
    async load() {
      const cpu = await import('@tensorflow/tfjs-backend-cpu');
      registerKernels('cpu');
      silenceCpuBanner();
      return { tfBackend: 'cpu', details: { version: cpu.version_cpu } };
    },
  },
});
