/**
 * @file WebAssembly capability probes, answered without loading
 * tfjs-backend-wasm. The byte strings are the ones tfjs-backend-wasm's
 * `flags_wasm.ts` uses, from https://github.com/GoogleChromeLabs/wasm-feature-detect.
 */

/** A module using one SIMD instruction (i8x16.splat); validates only where SIMD works. */
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 9, 1, 7, 0, 65, 0, 253, 15, 26, 11]);

/** A module with a shared memory and an atomic load; validates only where threads work. */
const THREADS_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 5, 4, 1, 3, 1, 1, 10, 11, 1, 9, 0, 65, 0, 254, 16, 2, 0, 26, 11,
]);

function validates(bytes: BufferSource): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(bytes);
  } catch {
    return false;
  }
}

/** True when this engine can run WebAssembly at all. */
export function wasmSupported(): boolean {
  return typeof WebAssembly === 'object' && typeof WebAssembly.instantiate === 'function';
}

/** True when this engine runs WebAssembly SIMD (tfjs-backend-wasm then loads its -simd binary). */
export function wasmSimdSupported(): boolean {
  return validates(SIMD_PROBE);
}

/**
 * True when this engine could run WebAssembly threads (SharedArrayBuffer and
 * atomics). perceptual still runs WASM single-threaded per worker: see
 * wasm/README.md for why and for the measurements.
 */
export function wasmThreadsSupported(): boolean {
  return typeof SharedArrayBuffer === 'function' && validates(THREADS_PROBE);
}
