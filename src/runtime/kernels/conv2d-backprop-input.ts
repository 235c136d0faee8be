/**
 * @file A faster `Conv2DBackpropInput` for the WASM backend.
 *
 * tfjs-backend-wasm 4.22's `Conv2DBackpropInput` is a scalar loop, far
 * slower than XNNPACK's SIMD conv2d (bench/RESULTS-design-figures.md,
 * "Stock Conv2DBackpropInput"), and it is what every input
 * gradient of a convolution runs: the `Conv2D` gradient, the custom gradient
 * of `tf.fused.conv2d` (which calls `conv2DBackpropInput` directly, so
 * overriding the `Conv2D` gradient config would miss it) and the forward pass
 * of `tf.conv2dTranspose`. Replacing the kernel (only for 'wasm') speeds up all
 * three and leaves every other backend untouched.
 *
 * The input gradient of y = conv(x, w; stride s, pad t/l) is
 *   dx[b, h, w, c] = sum_{i s + p - t = h, j s + q - l = w} dy[b, i, j, o] w[p, q, c, o].
 * At stride 1 that is a stride-1 convolution of dy with the spatially flipped
 * filter, in/out channels swapped ([KH, KW, O, C]), padded by KH - 1 - t on
 * top; rows that could only reach padding are cropped instead of padded
 * negatively. At stride s > 1 (float32) the default 'split' computes each of
 * the sH sW sub-pixel phases of dx as its own stride-1 conv with a sub-filter
 * (conv2d-backprop-input-phases.ts): sH sW times fewer multiply-adds than
 * convolving dy with s - 1 zeros stuffed between rows and columns (the
 * previous method, kept as option 'zero-stuff'). A 'joint' variant (all
 * phases in one conv) was removed: XNNPACK in tfjs-wasm 4.22 runs non-3x3
 * convs well below its 3x3 rate, so it did 16/9 the work at that slow rate and
 * measured slower even than 'zero-stuff' (wasm/README.md). NCHW falls back to
 * the stock kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { phaseBackpropInput } from './conv2d-backprop-input-phases.js';
import type { WasmBackendHeap } from './wasm-heap.js';
import { Intermediates, runBackendKernel } from './run-backend-kernel.js';

const WASM = 'wasm';
const run = runBackendKernel.bind(undefined, WASM);

/** Padding of one spatial axis for the equivalent stride-1 convolution. */
interface AxisPlan {
  readonly cropStart: number;
  readonly keep: number;
  readonly padStart: number;
  readonly padEnd: number;
}

/**
 * Plans one axis: `rows` rows of (zero-stuffed) dy, filter size `k`, forward
 * padding `start`, input size `size`. Negative paddings become crops: a row
 * that lies wholly in the forward padding contributes nothing to dx.
 */
export function planBackpropInputAxis(rows: number, k: number, start: number, size: number): AxisPlan {
  const padStart = k - 1 - start;
  const padEnd = size - rows + start; // makes the output exactly `size` long
  const cropStart = Math.max(0, -padStart);
  const cropEnd = Math.max(0, -padEnd);
  return { cropStart, keep: rows - cropStart - cropEnd, padStart: Math.max(0, padStart), padEnd: Math.max(0, padEnd) };
}

/** Inserts `s - 1` zeros after each row and column of dy: [B, OH sH, OW sW, O]. Caller disposes. */
function zeroStuff(dy: tf.TensorInfo, sH: number, sW: number, backend: object, temp: Intermediates): tf.TensorInfo {
  const [b, oh, ow, o] = dy.shape as [number, number, number, number];
  let t = dy;
  if (sW > 1) {
    t = temp.add(run(tf.Reshape, backend, { x: t }, { shape: [b * oh, ow, 1, o] }));
    t = temp.add(run(tf.PadV2, backend, { x: t }, { paddings: [[0, 0], [0, 0], [0, sW - 1], [0, 0]], constantValue: 0 }));
  }
  if (sH > 1) {
    t = temp.add(run(tf.Reshape, backend, { x: t }, { shape: [b, oh, 1, ow * sW * o] }));
    t = temp.add(run(tf.PadV2, backend, { x: t }, { paddings: [[0, 0], [0, 0], [0, sH - 1], [0, 0]], constantValue: 0 }));
  }
  return temp.add(run(tf.Reshape, backend, { x: t }, { shape: [b, oh * sH, ow * sW, o] }));
}

/**
 * Reverses both spatial axes of a float32 [KH, KW, ...] filter by copying its
 * KH * KW contiguous blocks in reverse order (caller disposes). Flattened,
 * reversing axes 0 and 1 together maps block p to block KH KW - 1 - p; the
 * wasm `Reverse` kernel does the same element by element, which took half of
 * the whole backprop-input call on a 3x3x512x512 filter
 * (bench/RESULTS-design-figures.md, "Filter flip").
 */
function flipSpatial(filter: tf.TensorInfo, backend: object): tf.TensorInfo {
  const heap = backend as WasmBackendHeap;
  const out = heap.makeOutput([...filter.shape], 'float32');
  // Views are taken after makeOutput: allocating may grow (and detach) the heap.
  const src = heap.typedArrayFromHeap(filter);
  const dst = heap.typedArrayFromHeap(out);
  const blocks = (filter.shape[0] as number) * (filter.shape[1] as number);
  const block = src.length / blocks;
  for (let p = 0; p < blocks; p++) {
    const from = (blocks - 1 - p) * block;
    dst.set(src.subarray(from, from + block), p * block);
  }
  return out;
}

/** dx as one stride-1 conv of dy (zero-stuffed when a stride > 1) with the flipped filter. Caller disposes. */
function zeroStuffBackpropInput(dy: tf.TensorInfo, filter: tf.TensorInfo, info: tf.backend_util.Conv2DInfo, rowsPlan: AxisPlan, colsPlan: AxisPlan, backend: object): tf.TensorInfo {
  const [batch, outH, outW, outC] = dy.shape as [number, number, number, number];
  const { strideHeight, strideWidth } = info;
  const temp = new Intermediates(backend);
  try {
    let up = strideHeight > 1 || strideWidth > 1 ? zeroStuff(dy, strideHeight, strideWidth, backend, temp) : dy;
    if (rowsPlan.keep !== outH * strideHeight || colsPlan.keep !== outW * strideWidth) {
      up = temp.add(
        run(tf.Slice, backend, { x: up }, {
          begin: [0, rowsPlan.cropStart, colsPlan.cropStart, 0],
          size: [batch, rowsPlan.keep, colsPlan.keep, outC],
        }),
      );
    }
    const swapped = temp.add(run(tf.Transpose, backend, { x: filter }, { perm: [0, 1, 3, 2] })); // [KH, KW, O, C]
    const flipped = filter.dtype === 'float32' ? temp.add(flipSpatial(swapped, backend)) : temp.add(run(tf.Reverse, backend, { x: swapped }, { dims: [0, 1] }));
    return run(tf.Conv2D, backend, { x: up, filter: flipped }, {
      strides: [1, 1],
      pad: [[0, 0], [rowsPlan.padStart, rowsPlan.padEnd], [colsPlan.padStart, colsPlan.padEnd], [0, 0]],
      dataFormat: 'NHWC',
      dilations: [1, 1],
    });
  } finally {
    temp.dispose();
  }
}

/** How a strided float32 call is computed: one conv per sub-pixel phase, or one conv of zero-stuffed dy. */
export type StridedMethod = 'split' | 'zero-stuff';

/** Options of {@link makeConv2DBackpropInputConfig}. */
export interface Conv2DBackpropInputOptions {
  /**
   * How calls with a stride > 1 are computed (float32 only; default 'split',
   * the fastest measured, see wasm/README.md). 'zero-stuff' is the previous
   * method, kept for benchmarks and tests.
   */
  readonly strided?: StridedMethod;
}

/**
 * Builds the replacement kernel config; `stock` (the kernel it replaces) still
 * serves NCHW and degenerate shapes, and its `setupFunc` is kept.
 */
export function makeConv2DBackpropInputConfig(stock: tf.KernelConfig, options: Conv2DBackpropInputOptions = {}): tf.KernelConfig {
  const strided = options.strided ?? 'split';
  const kernelFunc: tf.KernelFunc = (args) => {
    const { inputs, backend, attrs } = args;
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
    if (tf.backend_util.convertConv2DDataFormat(dataFormat) !== 'channelsLast') return stock.kernelFunc(args);
    const info = tf.backend_util.computeConv2DInfo(
      inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode, false, 'channelsLast',
    );
    const [, outH, outW] = dy.shape as [number, number, number, number];
    const { filterHeight, filterWidth, strideHeight, strideWidth, inHeight, inWidth } = info;
    const rowsPlan = planBackpropInputAxis(outH * strideHeight, filterHeight, info.padInfo.top, inHeight);
    const colsPlan = planBackpropInputAxis(outW * strideWidth, filterWidth, info.padInfo.left, inWidth);
    if (rowsPlan.keep <= 0 || colsPlan.keep <= 0) return stock.kernelFunc(args);
    const phases = strided !== 'zero-stuff' && (strideHeight > 1 || strideWidth > 1) && filter.dtype === 'float32' && dy.dtype === 'float32';
    if (phases) return phaseBackpropInput(dy, filter, info, backend);
    return zeroStuffBackpropInput(dy, filter, info, rowsPlan, colsPlan, backend);
  };
  return { kernelName: tf.Conv2DBackpropInput, backendName: WASM, setupFunc: stock.setupFunc, kernelFunc };
}
