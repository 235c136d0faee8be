/**
 * @file `Conv2D` on the WASM backend with perceptual's SIMD kernels where
 * they are faster: Winograd F(4x4, 3x3) for stride-1 3x3 convolutions
 * (wasm/src/winograd-f43.c), a direct kernel for stride-1 convolutions with 3
 * output channels (the networks' RGB output convs, wasm/src/conv-rgb-output.c),
 * and the stock XNNPACK kernel for everything else (a direct kernel for the
 * 9x9 RGB input conv, vectorised over outputs, was no faster than the stock
 * one and was dropped: wasm/README.md).
 *
 * The style network's residual blocks, the SR network and VGG are almost all
 * stride-1 3x3 convs; F(4x4, 3x3) does 36 multiplications per 4x4 output tile
 * instead of 144 (measurements in wasm/README.md). Results differ from the
 * direct convolution only by rounding (~1e-6 to 1e-5 relative; the transforms
 * are exact in real arithmetic).
 */
import * as tf from '@tensorflow/tfjs-core';
import { type SimdKernelExports, simdKernelsFor } from './simd-kernels.js';
import { heapOffset, type WasmBackendHeap, withScratch } from './wasm-heap.js';

const WASM = 'wasm';

/** Output tiles per block (V and M hold 36 x tiles x channels floats each); bench/RESULTS-design-figures.md, "Winograd block size". */
const BLOCK_TILES = 32;
/** Output pixels (batch x height x width) below which a 3x3 conv stays on the stock kernel. */
export const WINOGRAD_MIN_PIXELS = 256;
/** Transformed planes of F(4x4, 3x3): one per element of a 6x6 tile. */
const PLANES = 36;

/** The kernels a wasm `Conv2D` can run on: perceptual's Winograd or RGB-output kernel, or the stock XNNPACK one. */
export type Conv2DPath = 'winograd' | 'rgb-output' | 'stock';

const pathCalls: Record<Conv2DPath, number> = { winograd: 0, 'rgb-output': 0, stock: 0 };

/**
 * How many wasm `Conv2D` calls each kernel has run in this process (stock
 * includes calls where perceptual's kernels could not load), so tests can
 * check that a case exercises the kernel it is meant to.
 */
export function conv2DPathCalls(): Readonly<Record<Conv2DPath, number>> {
  return { ...pathCalls };
}

/** Which kernel computes this convolution: one of perceptual's (see the file comment) or the stock XNNPACK one. */
export function conv2DPath(info: tf.backend_util.Conv2DInfo, dtype: tf.DataType): Conv2DPath {
  const plain =
    dtype === 'float32' &&
    info.dataFormat === 'channelsLast' &&
    info.strideHeight === 1 &&
    info.strideWidth === 1 &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1 &&
    info.outHeight > 0 &&
    info.outWidth > 0;
  if (!plain) return 'stock';
  const { inChannels: c, outChannels: o } = info;
  // The filter transform runs per call, so small maps stay on XNNPACK: below 16x16 outputs it lost
  // to the stock kernel (bench/RESULTS.md, "Small maps lose").
  const pixels = info.batchSize * info.outHeight * info.outWidth;
  if (info.filterHeight === 3 && info.filterWidth === 3 && c % 4 === 0 && o % 8 === 0 && pixels >= WINOGRAD_MIN_PIXELS) return 'winograd';
  if (o === 3 && c % 4 === 0) return 'rgb-output';
  return 'stock';
}

/**
 * Builds the `Conv2D` kernel config for 'wasm' around `stock` (the kernel it
 * replaces, which keeps every case the Winograd path does not take).
 */
export function makeConv2DConfig(stock: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => {
    const { inputs, backend, attrs } = args;
    const { x, filter } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs as unknown as tf.Conv2DAttrs;
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      strides,
      dilations,
      pad,
      dimRoundingMode,
      false,
      tf.backend_util.convertConv2DDataFormat(dataFormat),
    );
    const path = filter.dtype === 'float32' ? conv2DPath(info, x.dtype) : 'stock';
    const kernels = path === 'stock' ? undefined : simdKernelsFor(backend);
    if (path === 'stock' || kernels === undefined) {
      pathCalls.stock++;
      return stock.kernelFunc(args);
    }
    pathCalls[path]++;
    return SIMD_CONV2D[path](backend as WasmBackendHeap, kernels, x, filter, info);
  };
  return { kernelName: tf.Conv2D, backendName: WASM, setupFunc: stock.setupFunc, kernelFunc };
}

/** A SIMD path of the kernel: allocates the output, runs the wasm kernels on the heap, returns the output. */
type SimdConv2D = (heap: WasmBackendHeap, kernels: SimdKernelExports, x: tf.TensorInfo, filter: tf.TensorInfo, info: tf.backend_util.Conv2DInfo) => tf.TensorInfo;

const SIMD_CONV2D: Readonly<Record<Exclude<Conv2DPath, 'stock'>, SimdConv2D>> = {
  winograd(heap, kernels, x, filter, info) {
    const { batchSize, inHeight, inWidth, inChannels: c, outChannels: o, outHeight, outWidth, padInfo } = info;
    const tiles = Math.ceil(outHeight / 4) * Math.ceil(outWidth / 4);
    const block = Math.min(BLOCK_TILES, tiles);
    const y = heap.makeOutput([batchSize, outHeight, outWidth, o], 'float32');
    // Scratch: the transformed filter U, then V and M for one block of tiles.
    withScratch(heap, [PLANES * c * o, PLANES * block * c, PLANES * block * o], (u, v, m) => {
      kernels.winograd_f43_filter(heapOffset(heap, filter), c, o, u);
      kernels.winograd_f43_conv(
        heapOffset(heap, x), batchSize, inHeight, inWidth, c, u, o, heapOffset(heap, y),
        outHeight, outWidth, padInfo.top, padInfo.left, v, m, block,
      );
    });
    return y;
  },
  'rgb-output'(heap, kernels, x, filter, info) {
    const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth, filterHeight: kh, filterWidth: kw, padInfo } = info;
    const y = heap.makeOutput([batchSize, outHeight, outWidth, 3], 'float32');
    // Scratch: the filter rearranged for the kernel.
    withScratch(heap, [kh * kw * 3 * c], (wt) => {
      kernels.rgb_output_filter(heapOffset(heap, filter), kh, kw, c, wt);
      kernels.rgb_output_conv(
        heapOffset(heap, x), batchSize, inHeight, inWidth, c, wt, kh, kw, heapOffset(heap, y),
        outHeight, outWidth, padInfo.top, padInfo.left,
      );
    });
    return y;
  },
};
