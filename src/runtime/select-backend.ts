/**
 * @file The one place that chooses and initialises a tfjs backend. It tries
 * candidates in order (tfjs-node-gpu if a CUDA GPU is visible, tfjs-node,
 * WASM, CPU), records why each was rejected, and registers the gradients
 * that tfjs-core alone does not.
 */
import * as tf from '@tensorflow/tfjs-core';
import { optionRangeError, perceptualError } from '../errors.js';
import { BACKEND_ENV_VAR, BACKEND_ORDER, type BackendName, isBackendName } from './backends.js';
import { CANDIDATES } from './candidates.node.js';
import { registerCoreGradients } from './gradients.node.js';

export interface SelectBackendOptions {
  /** Training prefers GPUs and needs gradients; inference prefers WASM-SIMD workers. */
  purpose?: 'train' | 'infer';
  /** Force one backend (overrides `PERCEPTUAL_BACKEND`). */
  backend?: BackendName | string;
  /** Environment to read `PERCEPTUAL_BACKEND` from (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface BackendAttempt {
  readonly backend: BackendName;
  readonly reason: string;
}

/** What `selectBackend` chose, and why. */
export interface Runtime {
  readonly backend: BackendName;
  /** The tfjs backend name (`tensorflow`, `wasm`, `cpu`). */
  readonly tfBackend: string;
  /** Why this one was chosen. */
  readonly reason: string;
  /** Each candidate tried before it, with why it was not used. */
  readonly rejected: readonly BackendAttempt[];
  /** Extra facts (SIMD, threads, versions) for `perceptual doctor`. */
  readonly details: Readonly<Record<string, string | number | boolean>>;
}


let current: Runtime | undefined;

/** The runtime chosen by the last `selectBackend` call, if any. */
export function currentRuntime(): Runtime | undefined {
  return current;
}

/**
 * Chooses, initialises and activates a backend.
 * @throws PerceptualError E_BACKEND_UNAVAILABLE when a forced backend cannot load
 *   (the message lists the ones that can), or RangeError E_OPTIONS for an unknown name.
 */
export async function selectBackend(options: SelectBackendOptions = {}): Promise<Runtime> {
  const env = options.env ?? process.env;
  const forcedBy = options.backend !== undefined ? 'the backend option' : env[BACKEND_ENV_VAR] ? BACKEND_ENV_VAR : undefined;
  const forced = options.backend ?? (env[BACKEND_ENV_VAR] || undefined);
  if (forced !== undefined && !isBackendName(forced)) {
    throw optionRangeError(forcedBy === BACKEND_ENV_VAR ? BACKEND_ENV_VAR : 'options.backend', `one of ${BACKEND_ORDER.join(', ')}`, forced);
  }
  await registerCoreGradients();
  const order = forced ? [forced] : BACKEND_ORDER;
  const rejected: BackendAttempt[] = [];
  for (const name of order) {
    const candidate = CANDIDATES[name];
    try {
      const { tfBackend, details } = await candidate.load();
      if (!(await tf.setBackend(tfBackend))) throw new Error(`tf.setBackend('${tfBackend}') returned false`);
      await tf.ready();
      const reason = forced
        ? `forced by ${forcedBy}`
        : rejected.length === 0
          ? 'first choice'
          : `first that loaded (${options.purpose ?? 'infer'})`;
      current = { backend: name, tfBackend, reason, rejected, details };
      return current;
    } catch (error) {
      rejected.push({ backend: name, reason: (error as Error).message.split('\n')[0] ?? String(error) });
    }
  }
  const available = await availableBackends();
  throw perceptualError(
    'E_BACKEND_UNAVAILABLE',
    `No backend could be loaded (${rejected.map((r) => `${r.backend}: ${r.reason}`).join('; ')}). ` +
      `Available here: ${available.join(', ') || 'none'}. Choose one of those with --backend or ${BACKEND_ENV_VAR}.`,
  );
}

/** Backends whose packages can be loaded here (does not activate them). */
export async function availableBackends(): Promise<BackendName[]> {
  const names: BackendName[] = [];
  for (const name of BACKEND_ORDER) {
    if (await CANDIDATES[name].probe()) names.push(name);
  }
  return names;
}
