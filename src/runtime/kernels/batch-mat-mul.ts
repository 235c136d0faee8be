/**
 * @file A faster `BatchMatMul` for the WASM backend when an operand is
 * transposed.
 *
 * tfjs-backend-wasm 4.22's `BatchMatMul` reads a transposed operand with a
 * stride of a whole row per element, which is 8-24x slower than the same
 * product on contiguous operands (1x16384x64 transposeA: 77 ms against 12 ms
 * for an explicit transpose plus the plain product; 1x256x512 Gram: 164 ms
 * against 7 ms). Gram matrices (F^T F) run transposeA forward, and every
 * matMul gradient runs transposeA or transposeB, so the style loss spent a
 * fifth of a training step here. The replacement transposes the last two
 * axes of each transposed operand with the backend's `Transpose` kernel and
 * calls the stock kernel with both flags false: the same sums of the same
 * products. Other dtypes and untransposed calls go straight to the stock kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Intermediates, runBackendKernel } from './run-backend-kernel.js';

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

/**
 * Builds the replacement kernel config; `stock` (the kernel it replaces) does
 * the product, and its `setupFunc` is kept.
 */
export function makeBatchMatMulConfig(stock: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => {
    const { inputs, backend, attrs } = args;
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
    if ((!transposeA && !transposeB) || a.dtype !== 'float32' || b.dtype !== 'float32') return stock.kernelFunc(args);
    const temp = new Intermediates(backend);
    try {
      const a2 = transposeA ? temp.add(transposeLastTwo(a, backend)) : a;
      const b2 = transposeB ? temp.add(transposeLastTwo(b, backend)) : b;
      return stock.kernelFunc({ inputs: { a: a2, b: b2 }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
    } finally {
      temp.dispose();
    }
  };
  return { kernelName: tf.BatchMatMul, backendName: WASM, setupFunc: stock.setupFunc, kernelFunc };
}
