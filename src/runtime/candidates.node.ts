/**
 * @file Backend candidates for Node. Each `load` explains in its error why it
 * cannot be used; `probe` answers without activating anything.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from './backends.js';

const require = createRequire(import.meta.url);

export interface NodeCandidate {
  readonly name: BackendName;
  probe(): Promise<boolean>;
  load(): Promise<{ tfBackend: string; details: Record<string, string | number | boolean> }>;
}

/** True when a CUDA device node or driver is visible to this process. */
export function cudaGpuVisible(): boolean {
  if (process.env.CUDA_VISIBLE_DEVICES === '' || process.env.CUDA_VISIBLE_DEVICES === '-1') return false;
  return existsSync('/dev/nvidia0') || existsSync('/proc/driver/nvidia/gpus');
}

function packageInstalled(name: string): boolean {
  try {
    require.resolve(`${name}/package.json`);
    return true;
  } catch {
    return false;
  }
}

async function loadNative(pkg: string): Promise<{ tfBackend: string; details: Record<string, string | number | boolean> }> {
  if (!packageInstalled(pkg)) throw new Error(`${pkg} is not installed (it is optional: npm install ${pkg})`);
  try {
    await import(pkg);
  } catch (error) {
    throw new Error(`${pkg} is installed but failed to load: ${(error as Error).message.split('\n')[0]}`);
  }
  if (!tf.findBackend('tensorflow')) throw new Error(`${pkg} loaded but registered no 'tensorflow' backend`);
  return { tfBackend: 'tensorflow', details: { package: pkg } };
}

/** Directory holding the stock tfjs-backend-wasm `.wasm` binaries. */
export function wasmBinaryDirectory(): string {
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
}

export const CANDIDATES: Readonly<Record<BackendName, NodeCandidate>> = {
  'node-gpu': {
    name: 'node-gpu',
    probe: async () => cudaGpuVisible() && packageInstalled('@tensorflow/tfjs-node-gpu'),
    async load() {
      if (!cudaGpuVisible()) throw new Error('no CUDA GPU visible (/dev/nvidia0 absent)');
      return loadNative('@tensorflow/tfjs-node-gpu');
    },
  },
  node: {
    name: 'node',
    probe: async () => packageInstalled('@tensorflow/tfjs-node'),
    load: () => loadNative('@tensorflow/tfjs-node'),
  },
  wasm: {
    name: 'wasm',
    probe: async () => packageInstalled('@tensorflow/tfjs-backend-wasm'),
    async load() {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      const directory = wasmBinaryDirectory();
      wasm.setWasmPaths(`${directory}/`);
      // The stock threaded build spawns a blob: worker, which Node refuses (ERR_WORKER_PATH);
      // single-threaded SIMD is what loads reliably here, and cores are used by worker pools.
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
      return { tfBackend: 'wasm', details: { simd, threads: 1, binaries: directory } };
    },
  },
  cpu: {
    name: 'cpu',
    probe: async () => true,
    async load() {
      await import('@tensorflow/tfjs-backend-cpu');
      return { tfBackend: 'cpu', details: {} };
    },
  },
};
