/**
 * @file perceptual's own WASM SIMD kernels (built from `wasm/src/*.c` by
 * `wasm/build.mjs`), instantiated on tfjs-backend-wasm's own memory so they
 * read and write tfjs tensors in place: a kernel gets heap offsets from the
 * backend's `dataIdMap`, exactly as the backend's C++ kernels do, and nothing
 * is copied between modules.
 *
 * The module has no data segments (the build checks), so instantiating it
 * writes nothing into tfjs's heap; its shadow stack pointer is moved into a
 * block from tfjs's `malloc` before first use. Compilation is synchronous,
 * because tfjs kernels are: Node and Web Workers allow it at any size, a
 * page's main thread refuses modules over 4 KB. Where it fails, callers fall
 * back to the stock kernels and {@link simdKernelsStatus} says why.
 */
import { SIMD_KERNELS_SHA256, SIMD_KERNELS_WASM_BASE64 } from './simd-kernels-binary.generated.js';
import type { WasmBackendHeap } from './wasm-heap.js';

/** The exports of perceptual-kernels.wasm; every pointer is a byte offset into tfjs's heap. */
export interface SimdKernelExports {
  /** Winograd F(4x4, 3x3) filter transform: HWIO [3, 3, C, O] -> [36][O/8][C][8]. */
  winograd_f43_filter(w: number, c: number, o: number, u: number): void;
  /** Winograd F(4x4, 3x3) convolution; see wasm/src/winograd-f43.c for the layouts. */
  winograd_f43_conv(
    x: number, b: number, h: number, w: number, c: number, u: number, o: number, y: number,
    oh: number, ow: number, padTop: number, padLeft: number, v: number, m: number, blockTiles: number,
  ): void;
  /** Filter layout for {@link rgb_output_conv}: HWIO [KH, KW, C, 3] -> [KH][KW][3][C]. */
  rgb_output_filter(w: number, kh: number, kw: number, c: number, wt: number): void;
  /** Stride-1 conv with 3 output channels; see wasm/src/conv-rgb-output.c. */
  rgb_output_conv(
    x: number, b: number, h: number, w: number, c: number, wt: number, kh: number, kw: number, y: number,
    oh: number, ow: number, padTop: number, padLeft: number,
  ): void;
  /** Instance norm (+ ReLU) for inference; mean/variance 0 = compute per image; see wasm/src/instance-norm.c. */
  instance_norm(
    x: number, b: number, hw: number, c: number, gamma: number, beta: number, mean: number, variance: number,
    epsilon: number, relu: number, y: number, scratch: number,
  ): void;
  /** y[o][i] = sum over r of x[o][r][i] / divisor (float32 block sums added in float64); see wasm/src/reduce-sum.c. */
  sum_axis(x: number, outer: number, reduced: number, inner: number, divisor: number, y: number, scratch: number): void;
  /** MaxPool gradient to the first maximum of each window (as tfjs-cpu); see wasm/src/max-pool-grad.c. */
  max_pool_grad(
    x: number, dy: number, dx: number, b: number, h: number, w: number, c: number, oh: number, ow: number,
    strideH: number, strideW: number, dilationH: number, dilationW: number, effH: number, effW: number, padTop: number, padLeft: number,
  ): void;
  /** y[t] = a[t]^T b[t] ([K, M] and [K, N], N % 8 = 0), float32 blocks of the shared axis added in float64; see wasm/src/gram.c. */
  gram_at_b(a: number, b: number, batch: number, k: number, m: number, n: number, y: number, scratch: number): void;
}

const STACK_BYTES = 64 * 1024;
const instances = new WeakMap<object, SimdKernelExports>();
let lastFailure: string | undefined;

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  // atob exists in Node >= 16, browsers, workers and edge runtimes alike.
  return Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));
}

let compiled: WebAssembly.Module | undefined;

/**
 * Uses `module` (perceptual-kernels.wasm compiled by the host) instead of
 * compiling the embedded copy: edge runtimes such as workerd refuse to
 * compile WebAssembly from bytes. Call before the wasm backend's first kernel runs.
 */
export function useCompiledSimdKernels(module: WebAssembly.Module): void {
  compiled = module;
}

/**
 * The kernels bound to `backend`'s heap (instantiated once per backend
 * instance), or undefined when this engine cannot run them (no SIMD, no
 * exported memory, compile refused); the reason is in {@link simdKernelsStatus}.
 */
export function simdKernelsFor(backend: object): SimdKernelExports | undefined {
  const cached = instances.get(backend);
  if (cached !== undefined) return cached;
  if (lastFailure !== undefined) return undefined;
  try {
    const heap = backend as WasmBackendHeap;
    const memory = heap.wasm?.asm?.memory;
    if (!(memory instanceof WebAssembly.Memory)) throw new Error('tfjs-backend-wasm does not expose its memory (Module.asm.memory)');
    compiled ??= new WebAssembly.Module(decodeBase64(SIMD_KERNELS_WASM_BASE64));
    const instance = new WebAssembly.Instance(compiled, { env: { memory } });
    const stack = heap.wasm._malloc(STACK_BYTES) >>> 0;
    if (stack === 0) throw new Error(`tfjs's malloc could not give ${STACK_BYTES} bytes for the kernels' stack`);
    (instance.exports.__stack_pointer as WebAssembly.Global).value = stack + STACK_BYTES;
    const exports = instance.exports as unknown as SimdKernelExports;
    instances.set(backend, exports);
    return exports;
  } catch (error) {
    lastFailure = error instanceof Error ? error.message : String(error);
    return undefined;
  }
}

/** What `perceptual doctor` reports about the kernels: whether this engine can compile them, and their state here. */
export function describeSimdKernels(): { readonly sha256: string; readonly bytes: number; readonly compiles: boolean; readonly status: string } {
  const bytes = decodeBase64(SIMD_KERNELS_WASM_BASE64);
  return { sha256: SIMD_KERNELS_SHA256, bytes: bytes.length, compiles: WebAssembly.validate(bytes), status: simdKernelsStatus() };
}

/** 'ready', 'not loaded yet', or why perceptual's SIMD kernels are not in use (stock kernels run instead). */
export function simdKernelsStatus(): string {
  if (lastFailure !== undefined) return `unavailable: ${lastFailure}`;
  return compiled === undefined ? 'not loaded yet' : 'ready';
}
