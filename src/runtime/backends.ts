/**
 * @file The vocabulary of backends and purposes, and the order in which
 * `selectBackend` tries backends for each purpose.
 */

/** Backend names as users type them (`--backend`, `PERCEPTUAL_BACKEND`). */
export const BACKENDS = Object.freeze({
  /** CUDA through @tensorflow/tfjs-node-gpu (only when a GPU is visible). */
  'node-gpu': 'node-gpu',
  /**
   * tfjs-backend-webgpu on a GPU adapter: Dawn's `webgpu` package in Node,
   * `navigator.gpu` in browsers. Vulkan/Metal/D3D12, no CUDA version to match.
   */
  webgpu: 'webgpu',
  /** Native TensorFlow CPU through @tensorflow/tfjs-node. */
  node: 'node',
  /** @tensorflow/tfjs-backend-wasm (SIMD where supported), single-threaded per worker. */
  wasm: 'wasm',
  /** @tensorflow/tfjs-backend-cpu, plain JavaScript: slow but always there. */
  cpu: 'cpu',
} as const);
export type BackendName = keyof typeof BACKENDS;

/** Every backend, in order of preference for training (for inference see BACKEND_ORDER_FOR). */
export const BACKEND_ORDER: readonly BackendName[] = Object.freeze(['node-gpu', 'webgpu', 'node', 'wasm', 'cpu']);

/** What a backend is chosen for. */
export const PURPOSES = Object.freeze({
  /** Training: needs every gradient kernel; throughput per step matters most. */
  train: 'train',
  /** In-process inference (worker pools load WASM-SIMD per worker themselves). */
  infer: 'infer',
} as const);
export type Purpose = keyof typeof PURPOSES;

/**
 * Preference per purpose. Both put native TensorFlow first: for training it is
 * the fastest by far, and in one process the native backend also beats one
 * WASM thread for inference. WASM comes before CPU for both since
 * src/runtime/kernels gives it every conv gradient (wasm/README.md).
 * A GPU through WebGPU comes right after CUDA for training (its candidate
 * refuses software adapters unless forced). In Node, inference uses WebGPU
 * only when forced: it runs in one process, where the WASM worker pools use
 * every core, and where a GPU overtakes them has not been measured yet
 * (bench/webgpu.bench.ts, bench/RESULTS.md); the browser worker's order
 * (candidates.browser.ts) puts it first.
 */
export const BACKEND_ORDER_FOR: Readonly<Record<Purpose, readonly BackendName[]>> = Object.freeze({
  train: BACKEND_ORDER,
  infer: Object.freeze(BACKEND_ORDER.filter((name) => name !== 'webgpu')),
});

/** The environment variable that forces a backend. */
export const BACKEND_ENV_VAR = 'PERCEPTUAL_BACKEND';

/**
 * The environment variable naming where the tfjs-backend-wasm `.wasm` files
 * are (a folder, or a URL prefix for bundlers and edge runtimes).
 */
export const WASM_PATH_ENV_VAR = 'PERCEPTUAL_WASM_PATH';

/** True when `value` is one of {@link BACKENDS}. */
export function isBackendName(value: unknown): value is BackendName {
  return typeof value === 'string' && Object.hasOwn(BACKENDS, value);
}

/** True when `value` is one of {@link PURPOSES}. */
export function isPurpose(value: unknown): value is Purpose {
  return typeof value === 'string' && Object.hasOwn(PURPOSES, value);
}
