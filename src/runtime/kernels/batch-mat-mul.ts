/**
 * @file A faster `BatchMatMul` for the WASM backend when an operand is
 * transposed.
 *
 * tfjs-backend-wasm 4.22's `BatchMatMul` reads a transposed operand with a
 * stride of a whole row per element, which is many times slower than the
 * same product on contiguous operands (wasm/README.md, "BatchMatMul with a
 * transposed operand"; bench/RESULTS-design-figures.md, "Transposed
 * BatchMatMul"). Gram matrices (F^T F) run transposeA forward, and every
 * matMul gradient runs transposeA or transposeB, so the style loss spent a
 * large share of a training step here. The replacement transposes the last two
 * axes of each transposed operand with the backend's `Transpose` kernel and
 * calls the stock kernel with both flags false: the same sums of the same
 * products. Other dtypes and untransposed calls go straight to the stock kernel.
 *
 * a^T b over a long shared axis (the Gram matrices: F^T F sums over every
 * pixel) runs on perceptual's kernel instead (wasm/src/gram.c), which adds
 * float32 block products in float64: XNNPACK's single float32 accumulator
 * per entry made style losses disagree with the CPU backend (wasm/README.md).
 *
 * The stock kernel runs XNNPACK only for a batch of one and a plain loop
 * otherwise, several times slower per matrix (bench/RESULTS.md, "Training
 * step profile"); the Gram gradients of a batch of images, F dG, are such
 * calls. A batch of equal-shaped pairs is therefore run one matrix at a time
 * on the stock kernel, each copied in and out of the batch.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Intermediates, runBackendKernel } from './run-backend-kernel.js';
import { simdKernelsFor } from './simd-kernels.js';
import { heapOffset, type WasmBackendHeap, withScratch } from './wasm-heap.js';

const WASM = 'wasm';
const run = runBackendKernel.bind(undefined, WASM);

/** Swaps the last two axes of `x` (rank >= 2). Caller disposes. */
function transposeLastTwo(x: tf.TensorInfo, backend: object): tf.TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return run(tf.Transpose, backend, { x }, { perm });
}

/** Shared-axis length from which a^T b runs on the blocked kernel (its block is 256; one block gains nothing). */
export const GRAM_MIN_SHARED = 512;
/** The shared-axis block of wasm/src/gram.c (its KBLOCK). */
const GRAM_BLOCK = 256;

/** a^T b on wasm/src/gram.c when the call is one it takes (see the file comment), else undefined. */
function blockedTransposeAProduct(a: tf.TensorInfo, b: tf.TensorInfo, backend: object): tf.TensorInfo | undefined {
  const rank = a.shape.length;
  if (rank < 2 || b.shape.length !== rank || a.shape.slice(0, -2).some((d, i) => d !== b.shape[i])) return undefined;
  const [k, m] = a.shape.slice(-2) as [number, number];
  const n = b.shape[rank - 1]!;
  if (b.shape[rank - 2] !== k || k < GRAM_MIN_SHARED || n % 8 !== 0 || m === 0) return undefined;
  const kernels = simdKernelsFor(backend);
  if (kernels === undefined) return undefined;
  const batch = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const heap = backend as WasmBackendHeap;
  const y = heap.makeOutput([...a.shape.slice(0, -2), m, n], 'float32');
  // Scratch: m n doubles, then a's transposed block, b's block in panels and one block product (floats).
  withScratch(heap, [3 * m * n + GRAM_BLOCK * (m + n)], (scratch) => kernels.gram_at_b(heapOffset(heap, a), heapOffset(heap, b), batch, k, m, n, heapOffset(heap, y), scratch));
  return y;
}

/** The shape without its last two axes, and the count of matrices it holds. */
function batchOf(x: tf.TensorInfo): { dims: number[]; size: number } {
  const dims = x.shape.slice(0, -2);
  return { dims, size: tf.util.sizeFromShape(dims) };
}

/**
 * a b (neither transposed) one matrix at a time on the stock kernel, when
 * both hold the same batch of more than one matrix; else undefined.
 */
function productPerMatrix(a: tf.TensorInfo, b: tf.TensorInfo, backend: object, stock: tf.KernelConfig): tf.TensorInfo | undefined {
  const batch = batchOf(a);
  if (a.shape.length < 3 || batch.size < 2 || !tf.util.arraysEqual(batch.dims, batchOf(b).dims)) return undefined;
  const [m, k] = a.shape.slice(-2) as [number, number];
  const n = b.shape[b.shape.length - 1]!;
  const heap = backend as WasmBackendHeap;
  const y = heap.makeOutput([...batch.dims, m, n], 'float32');
  const attrs = { transposeA: false, transposeB: false } as unknown as tf.NamedAttrMap;
  const temp = new Intermediates(backend);
  try {
    for (let i = 0; i < batch.size; i++) {
      try {
        const ai = temp.add(heap.makeOutput([1, m, k], 'float32'));
        const bi = temp.add(heap.makeOutput([1, k, n], 'float32'));
        // Views taken after the allocations above (an allocation may grow the heap and detach older views).
        heap.typedArrayFromHeap(ai).set(heap.typedArrayFromHeap(a).subarray(i * m * k, (i + 1) * m * k));
        heap.typedArrayFromHeap(bi).set(heap.typedArrayFromHeap(b).subarray(i * k * n, (i + 1) * k * n));
        const yi = temp.add(stock.kernelFunc({ inputs: { a: ai, b: bi }, backend, attrs }) as tf.TensorInfo);
        heap.typedArrayFromHeap(y).set(heap.typedArrayFromHeap(yi), i * m * n);
      } finally {
        temp.dispose(); // this matrix's copies and product, before the next are allocated
      }
    }
    return y;
  } catch (error) {
    heap.disposeData(y.dataId);
    throw error;
  }
}

/** Options of {@link makeBatchMatMulConfig}. */
export interface BatchMatMulOptions {
  /** Whether a^T b over a long shared axis runs on the blocked kernel and batches run one matrix at a time (default true; false is the previous path, for benchmarks). */
  readonly blocked?: boolean;
}

/**
 * Builds the replacement kernel config; `stock` (the kernel it replaces) does
 * the product, and its `setupFunc` is kept.
 */
export function makeBatchMatMulConfig(stock: tf.KernelConfig, options: BatchMatMulOptions = {}): tf.KernelConfig {
  const useBlocked = options.blocked ?? true;
  const kernelFunc: tf.KernelFunc = (args) => {
    const { inputs, backend, attrs } = args;
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return stock.kernelFunc(args);
    const blocked = useBlocked && transposeA && !transposeB ? blockedTransposeAProduct(a, b, backend) : undefined;
    if (blocked !== undefined) return blocked;
    const temp = new Intermediates(backend);
    try {
      const a2 = transposeA ? temp.add(transposeLastTwo(a, backend)) : a;
      const b2 = transposeB ? temp.add(transposeLastTwo(b, backend)) : b;
      const perMatrix = useBlocked ? productPerMatrix(a2, b2, backend, stock) : undefined;
      return perMatrix ?? stock.kernelFunc({ inputs: { a: a2, b: b2 }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
    } finally {
      temp.dispose();
    }
  };
  return { kernelName: tf.BatchMatMul, backendName: WASM, setupFunc: stock.setupFunc, kernelFunc };
}
