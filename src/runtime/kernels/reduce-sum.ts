/**
 * @file `Mean` and `Sum` for the WASM backend, accurate and without a
 * transpose, on perceptual's SIMD kernel (wasm/src/reduce-sum.c).
 *
 * The stock kernels add float32 values one after another into a float32
 * total, so their error grows with the count: every perceptual loss term is
 * one such reduction over a whole feature map or Gram matrix, and on wasm the
 * loss values disagreed with the CPU backend (which sums in float64) in the
 * fourth significant digit, while the feature maps themselves agreed to a few
 * parts per million (wasm/README.md). The kernel sums blocks of at most 64
 * values per float32 lane and adds the block sums in float64.
 *
 * When the reduced axes form one contiguous run, x is [outer, R, inner] in
 * memory (inner = 1 when the run is innermost, outer = inner = 1 for all
 * axes), which the kernel reads in place. Other dtypes, non-contiguous axes
 * and empty tensors go to the stock kernel; where the SIMD kernels cannot
 * load, reduce-leading-axes.ts (AvgPool) serves the runs it can.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type LeadingAxesPlan, reduceLeadingAxes, sortedAxes } from './reduce-leading-axes.js';
import { simdKernelsFor } from './simd-kernels.js';
import { heapOffset, type WasmBackendHeap, withScratch } from './wasm-heap.js';

/**
 * The [outer, reduced, inner] split of reducing `axis` of `shape` (null or
 * every axis: all of them; negative ones count from the end) when the reduced
 * axes form one contiguous run, else null (the stock kernel's case).
 */
export function contiguousAxesPlan(shape: readonly number[], axis: number | number[] | null | undefined): LeadingAxesPlan | null {
  const axes = sortedAxes(shape, axis);
  const first = axes[0];
  const last = axes[axes.length - 1];
  if (first === undefined || last === undefined || last - first + 1 !== axes.length) return null;
  const size = (from: number, to: number): number => shape.slice(from, to).reduce((p, d) => p * d, 1);
  return { outer: size(0, first), reduced: size(first, last + 1), inner: size(last + 1, shape.length) };
}

/**
 * Builds the replacement for the wasm `Mean` or `Sum` kernel `stock` (its
 * `kernelName` says which); `stock` keeps the cases this one does not take,
 * and its `setupFunc` is kept.
 */
export function makeReduceSumConfig(stock: tf.KernelConfig): tf.KernelConfig {
  const isMean = stock.kernelName === tf.Mean;
  const kernelFunc: tf.KernelFunc = (args) => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = attrs as unknown as { axis: number | number[] | null; keepDims: boolean };
    if (x.dtype !== 'float32' || tf.util.sizeFromShape(x.shape) === 0) return stock.kernelFunc(args);
    const plan = contiguousAxesPlan(x.shape, axis);
    const kernels = plan === null ? undefined : simdKernelsFor(backend);
    if (plan === null || kernels === undefined) return reduceLeadingAxes(stock, args);
    const axes = sortedAxes(x.shape, axis);
    const [reducedShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes);
    const outShape = keepDims ? tf.backend_util.expandShapeToKeepDim(reducedShape, axes) : reducedShape;
    const { outer, reduced, inner } = plan;
    const heap = backend as WasmBackendHeap;
    const y = heap.makeOutput(outShape, 'float32');
    // Scratch: inner doubles.
    withScratch(heap, [2 * inner], (scratch) => kernels.sum_axis(heapOffset(heap, x), outer, reduced, inner, isMean ? reduced : 1, heapOffset(heap, y), scratch));
    return y;
  };
  return { kernelName: stock.kernelName, backendName: 'wasm', setupFunc: stock.setupFunc, kernelFunc };
}
