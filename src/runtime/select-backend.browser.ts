/**
 * @file Chooses and activates a tfjs backend in a browser, Web Worker or edge
 * runtime: WebGPU on a hardware adapter, WASM (SIMD where supported) with its
 * binaries fetched from a configurable URL prefix, then CPU. The browser twin of select-backend.ts,
 * which reads `process.env` and the file system; this one reads neither.
 * Gradients are not registered: the browser path only runs inference.
 */
import * as tf from '@tensorflow/tfjs-core';
import { optionRangeError, optionTypeError, perceptualError } from '../errors.js';
import { firstLine } from '../first-line.js';
import { type BackendName, isBackendName } from './backends.js';
import { BROWSER_BACKEND_ORDER, BROWSER_CANDIDATES, type BrowserCandidateOptions } from './candidates.browser.js';
import type { BackendAttempt, Runtime } from './select-backend.js';

/** Options of {@link selectBrowserBackend}; all optional. */
export interface SelectBrowserBackendOptions extends BrowserCandidateOptions {
  /** Force `webgpu`, `wasm` or `cpu` instead of trying them in order (a forced webgpu accepts a software adapter). */
  readonly backend?: BackendName | string;
}

let current: Runtime | undefined;

/** The runtime chosen by the last successful `selectBrowserBackend` call in this realm, if any. */
export function currentBrowserRuntime(): Runtime | undefined {
  return current;
}

/**
 * Validates options and returns the order to try.
 * @throws TypeError / RangeError with code E_OPTIONS naming the option
 */
export function resolveBrowserBackendRequest(options: SelectBrowserBackendOptions = {}): { order: readonly BackendName[]; forced: boolean } {
  if (options === null || typeof options !== 'object') throw optionTypeError('options', 'an object', options);
  if (options.wasmPath !== undefined && typeof options.wasmPath !== 'string') {
    throw optionTypeError('options.wasmPath', 'a URL prefix string such as "/wasm/"', options.wasmPath);
  }
  if (options.backend === undefined) return { order: BROWSER_BACKEND_ORDER, forced: false };
  if (!isBackendName(options.backend) || !BROWSER_BACKEND_ORDER.includes(options.backend)) {
    throw optionRangeError('options.backend', `one of ${BROWSER_BACKEND_ORDER.join(', ')} in a browser`, options.backend);
  }
  return { order: [options.backend], forced: true };
}

/**
 * Chooses, initialises and activates a backend for inference.
 * @example
 *   const runtime = await selectBrowserBackend({ wasmPath: '/static/wasm/' });
 *   console.log(`${runtime.backend}: ${runtime.reason}`);
 * @throws PerceptualError E_BACKEND_UNAVAILABLE listing each backend tried and why it failed
 * @throws TypeError / RangeError E_OPTIONS for bad options
 */
export async function selectBrowserBackend(options: SelectBrowserBackendOptions = {}): Promise<Runtime> {
  const request = resolveBrowserBackendRequest(options);
  const rejected: BackendAttempt[] = [];
  for (const name of request.order) {
    try {
      const { tfBackend, details } = await BROWSER_CANDIDATES[name]!.load({ ...options, forced: request.forced });
      // setBackend resolves false (and logs) when initialisation fails, e.g. a 404 on the .wasm file.
      if (!(await tf.setBackend(tfBackend))) throw new Error(`tf.setBackend('${tfBackend}') failed (for wasm: are the binaries served under ${options.wasmPath}?)`);
      await tf.ready();
      const reason = request.forced
        ? `forced by options.backend for infer`
        : rejected.length === 0
          ? `first choice for infer (order ${request.order.join(' > ')})`
          : `best that loaded for infer: ${name} (order ${request.order.join(' > ')}; ${rejected.map((r) => r.backend).join(', ')} unavailable)`;
      current = Object.freeze({ backend: name, tfBackend, purpose: 'infer', reason, rejected, details });
      return current;
    } catch (error) {
      rejected.push({ backend: name, reason: firstLine(error) });
    }
  }
  throw perceptualError(
    'E_BACKEND_UNAVAILABLE',
    `No backend could be loaded in this browser (${rejected.map((r) => `${r.backend}: ${r.reason}`).join('; ')}). ` +
      'Serve tfjs-backend-wasm.wasm and tfjs-backend-wasm-simd.wasm under options.wasmPath, or pass backend: "cpu".',
  );
}
