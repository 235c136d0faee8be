/**
 * @file Faster `Mean` and `Sum` for the WASM backend when the reduced axes
 * are not the innermost ones.
 *
 * tfjs-backend-wasm 4.22 reduces only innermost axes, so it transposes first
 * otherwise: instance norm's moments over H and W of an NHWC map (axes [1, 2]
 * of [B, H, W, C]) pay for a full transpose, and gradients' bias sums over
 * [0, 1, 2] likewise (timings: wasm/README.md, "Other kernels").
 * When the reduced axes are one contiguous run followed by unreduced innermost
 * axes, x is [outer, R, inner] in memory, which is an NHWC image
 * [outer, R, 1, inner]; its mean over the middle axis is an R x 1 VALID
 * average pool, which the backend's `AvgPool` (XNNPACK, SIMD over channels)
 * runs at memory speed: several times faster than the stock kernel
 * (wasm/README.md), and more accurate (relative
 * error against float64 for R = 65536 and a mean of 1000: 1.3e-4 against
 * 3.7e-4 for the stock sequential float32 sum).
 *
 * A first version used `BatchMatMul` (ones[1, R] x x[R, inner]); that was
 * slower than the stock kernel, because XNNPACK packs operand b (all of x)
 * into a new operator on every call, and caches that operator under b's
 * tensor id (stale for a later product with another [R, inner] split of the
 * same x). Pooling takes x as input, not as weights: nothing is packed or
 * cached per tensor.
 *
 * `Sum` is the pool's mean times R (one more float32 rounding). Other dtypes,
 * innermost or non-contiguous axes, R < 2 (XNNPACK pools need two elements)
 * and empty tensors go to the stock kernel.
 *
 * Now the fallback: where perceptual's SIMD kernels load, reduce-sum.ts sums
 * every contiguous run of axes, innermost ones included, more accurately.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Intermediates, runBackendKernel } from './run-backend-kernel.js';

const WASM = 'wasm';
const run = runBackendKernel.bind(undefined, WASM);

/** How a reduction splits its input: [outer, reduced, inner] element counts. */
export interface LeadingAxesPlan {
  readonly outer: number;
  readonly reduced: number;
  readonly inner: number;
}

/** `axis` (a number, numbers, or null for all; negative ones count from the end) as sorted distinct axes. */
export function sortedAxes(shape: readonly number[], axis: number | number[] | null | undefined): number[] {
  const all = [...shape.keys()];
  return [...new Set(tf.util.parseAxisParam(axis ?? all, [...shape]))].sort((a, b) => a - b);
}

/**
 * The [outer, reduced, inner] split of reducing `axis` of `shape` when the
 * reduced axes (negative ones count from the end) form one contiguous run with
 * at least one unreduced axis after it, else null (the stock kernel's case).
 */
export function leadingAxesPlan(shape: readonly number[], axis: number | number[] | null | undefined): LeadingAxesPlan | null {
  const rank = shape.length;
  if (rank < 2) return null;
  const axes = sortedAxes(shape, axis);
  const first = axes[0];
  const last = axes[axes.length - 1];
  if (first === undefined || last === undefined || last - first + 1 !== axes.length || last >= rank - 1) return null;
  const size = (from: number, to: number): number => shape.slice(from, to).reduce((p, d) => p * d, 1);
  return { outer: size(0, first), reduced: size(first, last + 1), inner: size(last + 1, rank) };
}

/**
 * `Mean` or `Sum` (`stock.kernelName` says which) of a float32 tensor over a
 * contiguous run of non-innermost axes, by `AvgPool`; every other case goes
 * to `stock`. The fallback of reduce-sum.ts where perceptual's SIMD kernels
 * cannot load.
 */
export function reduceLeadingAxes(stock: tf.KernelConfig, args: Parameters<tf.KernelFunc>[0]): ReturnType<tf.KernelFunc> {
  const isSum = stock.kernelName === tf.Sum;
  const { inputs, backend, attrs } = args;
  const { x } = inputs as { x: tf.TensorInfo };
  const { axis, keepDims } = attrs as unknown as { axis: number | number[] | null; keepDims: boolean };
  if (x.dtype !== 'float32' || tf.util.sizeFromShape(x.shape) === 0) return stock.kernelFunc(args);
  const plan = leadingAxesPlan(x.shape, axis);
  if (plan === null || plan.reduced < 2) return stock.kernelFunc(args);
  const axes = sortedAxes(x.shape, axis);
  const [reducedShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes);
  const outShape = keepDims ? tf.backend_util.expandShapeToKeepDim(reducedShape, axes) : reducedShape;
  const { outer, reduced, inner } = plan;
  // Same data, viewed as an NHWC image: AvgPool reads x's buffer through the dataId and this shape.
  const image: tf.TensorInfo = { dataId: x.dataId, shape: [outer, reduced, 1, inner], dtype: 'float32' };
  const poolAttrs = { filterSize: [reduced, 1], strides: 1, pad: 'valid', dimRoundingMode: null } as unknown as tf.NamedAttrMap;
  const temp = new Intermediates(backend);
  try {
    let out = temp.add(run(tf.AvgPool, backend, { x: image }, poolAttrs));
    if (isSum) {
      const count = (backend as tf.KernelBackend).write(new Float32Array([reduced]), [], 'float32');
      temp.add({ dataId: count, shape: [], dtype: 'float32' });
      out = temp.add(run(tf.Multiply, backend, { a: out, b: { dataId: count, shape: [], dtype: 'float32' } }));
    }
    temp.dispose(out);
    return { dataId: out.dataId, shape: outShape, dtype: 'float32' };
  } catch (error) {
    temp.dispose();
    throw error;
  }
}
