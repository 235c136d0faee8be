/**
 * @file The vocabulary of backends, in the order `selectBackend` tries them.
 */

/** Backend names as users type them (`--backend`, `PERCEPTUAL_BACKEND`). */
export const BACKENDS = Object.freeze({
  /** CUDA through @tensorflow/tfjs-node-gpu (only when a GPU is visible). */
  'node-gpu': 'node-gpu',
  /** Native TensorFlow CPU through @tensorflow/tfjs-node. */
  node: 'node',
  /** @tensorflow/tfjs-backend-wasm (SIMD where supported). */
  wasm: 'wasm',
  /** @tensorflow/tfjs-backend-cpu, plain JavaScript: slow but always there. */
  cpu: 'cpu',
} as const);
export type BackendName = keyof typeof BACKENDS;

/** Order of preference. */
export const BACKEND_ORDER: readonly BackendName[] = Object.freeze(['node-gpu', 'node', 'wasm', 'cpu']);

/** The environment variable that forces a backend. */
export const BACKEND_ENV_VAR = 'PERCEPTUAL_BACKEND';

export function isBackendName(value: unknown): value is BackendName {
  return typeof value === 'string' && Object.hasOwn(BACKENDS, value);
}
