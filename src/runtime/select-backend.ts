/**
 * @file The one place that chooses and initialises a tfjs backend. It tries
 * candidates in the order for the purpose (tfjs-node-gpu if a CUDA GPU is
 * visible, WebGPU on a hardware adapter for training, tfjs-node, WASM, CPU), records why each was rejected, and
 * registers what tfjs-core alone lacks: the gradient functions, and the conv
 * gradient kernels of src/runtime/kernels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { optionRangeError, optionTypeError, perceptualError } from '../errors.js';
import { firstLine } from '../first-line.js';
import {
  BACKEND_ENV_VAR,
  BACKEND_ORDER,
  BACKEND_ORDER_FOR,
  type BackendName,
  isBackendName,
  isPurpose,
  type Purpose,
  WASM_PATH_ENV_VAR,
} from './backends.js';
import { CANDIDATES, type CandidateOptions } from './candidates.node.js';
import { registerCoreGradients } from './gradients.node.js';
import { registerMirrorPadGradient } from './mirror-pad-gradient.js';

/** Options of {@link selectBackend}; all optional. */
export interface SelectBackendOptions {
  /** What the backend is for (default 'infer'); picks the preference order. */
  purpose?: Purpose | string;
  /** Force one backend (overrides `PERCEPTUAL_BACKEND`). */
  backend?: BackendName | string;
  /** Where tfjs-backend-wasm's `.wasm` files are: folder or URL prefix (overrides `PERCEPTUAL_WASM_PATH`). */
  wasmPath?: string;
  /** Environment to read `PERCEPTUAL_BACKEND` and `PERCEPTUAL_WASM_PATH` from (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** One candidate that was not used, and why. */
export interface BackendAttempt {
  readonly backend: BackendName;
  readonly reason: string;
}

/** What `selectBackend` chose, and why. */
export interface Runtime {
  readonly backend: BackendName;
  /** The tfjs backend name (`tensorflow`, `wasm`, `cpu`). */
  readonly tfBackend: string;
  /** What it was chosen for. */
  readonly purpose: Purpose;
  /** Why this one was chosen, in one line. */
  readonly reason: string;
  /** Each candidate tried before it, with why it was not used. */
  readonly rejected: readonly BackendAttempt[];
  /** Extra facts (SIMD, threads, versions, binary) for `perceptual doctor`. */
  readonly details: Readonly<Record<string, string | number | boolean>>;
}

/** A checked request: purpose, forced backend and its source, the order to try. */
export interface BackendRequest {
  readonly purpose: Purpose;
  readonly forced: BackendName | undefined;
  /** 'options.backend' or 'PERCEPTUAL_BACKEND' when forced. */
  readonly forcedBy: string | undefined;
  readonly order: readonly BackendName[];
  readonly candidateOptions: CandidateOptions;
}

let current: Runtime | undefined;

/** The runtime chosen by the last successful `selectBackend` call, if any. */
export function currentRuntime(): Runtime | undefined {
  return current;
}

/**
 * Validates options and resolves the forced backend and the order to try.
 * @throws TypeError / RangeError with code E_OPTIONS for a bad purpose or an unknown backend name.
 */
export function resolveBackendRequest(options: SelectBackendOptions = {}): BackendRequest {
  if (options === null || typeof options !== 'object') throw optionTypeError('options', 'an object', options);
  const env = options.env ?? process.env;
  const purpose = options.purpose ?? 'infer';
  if (!isPurpose(purpose)) throw optionRangeError('options.purpose', "'train' or 'infer'", purpose);
  if (options.wasmPath !== undefined && typeof options.wasmPath !== 'string') {
    throw optionTypeError('options.wasmPath', `a folder or URL prefix (or set ${WASM_PATH_ENV_VAR})`, options.wasmPath);
  }
  const fromEnv = env[BACKEND_ENV_VAR] === '' ? undefined : env[BACKEND_ENV_VAR];
  const forcedBy = options.backend !== undefined ? 'options.backend' : fromEnv !== undefined ? BACKEND_ENV_VAR : undefined;
  const forced = options.backend ?? fromEnv;
  if (forced !== undefined && !isBackendName(forced)) {
    throw optionRangeError(forcedBy ?? 'options.backend', `one of ${BACKEND_ORDER.join(', ')}`, forced);
  }
  return {
    purpose,
    forced,
    forcedBy,
    order: forced !== undefined ? [forced] : BACKEND_ORDER_FOR[purpose],
    candidateOptions: { wasmPath: options.wasmPath, env, forced: forced !== undefined },
  };
}

/** The one-line reason for choosing `name` after `rejected` were tried. */
function reasonFor(request: BackendRequest, name: BackendName, rejected: readonly BackendAttempt[], how: 'loaded' | 'available'): string {
  if (request.forced !== undefined) return `forced by ${request.forcedBy} for ${request.purpose}`;
  const order = request.order.join(' > ');
  if (rejected.length === 0) return `first choice for ${request.purpose} (order ${order})`;
  return `best ${how === 'loaded' ? 'that loaded' : 'available'} for ${request.purpose}: ${name} (order ${order}; ${rejected.map((r) => r.backend).join(', ')} unavailable)`;
}

/**
 * Chooses, initialises and activates a backend, and registers gradients.
 * @example
 *   const runtime = await selectBackend({ purpose: 'train' });
 *   console.log(`${runtime.backend}: ${runtime.reason}`);
 * @throws PerceptualError E_BACKEND_UNAVAILABLE when a forced backend (or
 *   every backend) cannot load; the message lists the ones that can.
 * @throws RangeError E_OPTIONS for an unknown backend name or purpose.
 */
export async function selectBackend(options: SelectBackendOptions = {}): Promise<Runtime> {
  const request = resolveBackendRequest(options);
  await registerCoreGradients();
  registerMirrorPadGradient();
  const rejected: BackendAttempt[] = [];
  for (const name of request.order) {
    try {
      const { tfBackend, details } = await CANDIDATES[name].load(request.candidateOptions);
      if (!(await tf.setBackend(tfBackend))) throw new Error(`tf.setBackend('${tfBackend}') returned false`);
      await tf.ready();
      current = Object.freeze({ backend: name, tfBackend, purpose: request.purpose, reason: reasonFor(request, name, rejected, 'loaded'), rejected, details });
      return current;
    } catch (error) {
      rejected.push({ backend: name, reason: firstLine(error) });
    }
  }
  const available = (await availableBackends(request.candidateOptions)).filter((name) => !rejected.some((r) => r.backend === name));
  const tried = rejected.map((r) => `${r.backend}: ${r.reason}`).join('; ');
  const what = request.forced !== undefined ? `Backend '${request.forced}' (forced by ${request.forcedBy}) could not be loaded` : 'No backend could be loaded';
  throw perceptualError(
    'E_BACKEND_UNAVAILABLE',
    `${what} (${tried}). Available here: ${available.join(', ') || 'none'}. ` +
      `Choose one of those with --backend or ${BACKEND_ENV_VAR}, or install the missing package.`,
  );
}

/** Backends that can be tried here, in preference order (probes only: activates nothing). */
export async function availableBackends(options: CandidateOptions = {}): Promise<BackendName[]> {
  const names: BackendName[] = [];
  for (const name of BACKEND_ORDER) {
    if ((await CANDIDATES[name].probe(options)).available) names.push(name);
  }
  return names;
}

/**
 * What `selectBackend(options)` would choose, from probes alone (nothing is
 * imported or activated). A native package that is installed but fails to
 * load would only show up in `selectBackend`.
 * @throws RangeError E_OPTIONS as {@link selectBackend}.
 */
export async function planBackend(
  options: SelectBackendOptions = {},
): Promise<{ backend: BackendName | undefined; purpose: Purpose; reason: string; rejected: BackendAttempt[] }> {
  const request = resolveBackendRequest(options);
  const rejected: BackendAttempt[] = [];
  for (const name of request.order) {
    const probe = await CANDIDATES[name].probe(request.candidateOptions);
    if (probe.available) return { backend: name, purpose: request.purpose, reason: reasonFor(request, name, rejected, 'available'), rejected };
    rejected.push({ backend: name, reason: probe.reason });
  }
  return { backend: undefined, purpose: request.purpose, reason: 'no backend is available', rejected };
}
