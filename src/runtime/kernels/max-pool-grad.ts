/**
 * @file `MaxPoolGrad` for the WASM backend that breaks ties as the CPU
 * backend (and PyTorch) do: each output's gradient goes to the first maximum
 * of its window in row-major order (wasm/src/max-pool-grad.c).
 *
 * The stock kernel picks another of equal values, so on flat or saturated
 * image regions the two backends' image gradients through a max-pooling loss
 * network (darknet, VGG) went to different pixels. Other dtypes and engines
 * without perceptual's SIMD kernels keep the stock kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { simdKernelsFor } from './simd-kernels.js';
import { heapOffset, type WasmBackendHeap } from './wasm-heap.js';

/** Builds the replacement for the wasm `MaxPoolGrad` kernel `stock`, which keeps the cases this one does not take. */
export function makeMaxPoolGradConfig(stock: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => {
    const { inputs, backend, attrs } = args;
    const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolGradAttrs;
    const kernels = input.dtype === 'float32' && dy.dtype === 'float32' ? simdKernelsFor(backend) : undefined;
    if (kernels === undefined) return stock.kernelFunc(args);
    const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
    const heap = backend as WasmBackendHeap;
    const dx = heap.makeOutput([...input.shape], 'float32');
    kernels.max_pool_grad(
      heapOffset(heap, input), heapOffset(heap, dy), heapOffset(heap, dx), info.batchSize, info.inHeight, info.inWidth, info.inChannels,
      info.outHeight, info.outWidth, info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth,
      info.effectiveFilterHeight, info.effectiveFilterWidth, info.padInfo.top, info.padInfo.left,
    );
    return dx;
  };
  return { kernelName: tf.MaxPoolGrad, backendName: 'wasm', setupFunc: stock.setupFunc, kernelFunc };
}
