/**
 * @file `PerceptualInstanceNorm`: instance normalisation (+ ReLU) for
 * inference as one kernel (wasm/src/instance-norm.c), registered for 'wasm'
 * only. Composed from tfjs ops the same computation is seven passes over the
 * map, five writing full-size temporaries; the kernel makes two reading
 * passes (mean, then the variance about it) and one writing pass, or only the
 * writing pass when the statistics are given (tiles of one image).
 *
 * Not differentiable (no gradient is registered): src/networks/layers/instance-norm.ts
 * calls it only on inference paths and falls back to tfjs ops on backends
 * without it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { INSTANCE_NORM_KERNEL, type InstanceNormAttrs, type InstanceNormInputs } from '../kernel-names.js';
import { simdKernelsFor } from './simd-kernels.js';
import { heapOffset, type WasmBackendHeap, withScratch } from './wasm-heap.js';

/**
 * Inputs: `x` float32 NHWC [B, H, W, C], `gamma`, `beta` [C], and optionally
 * `mean`, `variance` [C] (used for every image instead of its own). Output:
 * x's shape. Throws where the SIMD kernels cannot load (callers check
 * {@link instanceNormKernelUsable} first).
 */
export function makeInstanceNormConfig(): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = ({ inputs, backend, attrs }) => {
    const { x, gamma, beta, mean, variance } = inputs as Partial<Record<InstanceNormInputs, tf.TensorInfo>>;
    const { epsilon, relu } = attrs as unknown as InstanceNormAttrs;
    const kernels = simdKernelsFor(backend);
    if (kernels === undefined) throw new Error(`${INSTANCE_NORM_KERNEL}: perceptual's SIMD kernels are unavailable on this engine`);
    const [b, h, w, c] = x!.shape as [number, number, number, number];
    const heap = backend as WasmBackendHeap;
    const y = heap.makeOutput([b, h, w, c], 'float32');
    const given = mean !== undefined && variance !== undefined;
    // Scratch: 2 C floats (mean, scale) then 2 C doubles (running sums).
    withScratch(heap, [6 * c], (scratch) =>
      kernels.instance_norm(
        heapOffset(heap, x!), b, h * w, c, heapOffset(heap, gamma!), heapOffset(heap, beta!),
        given ? heapOffset(heap, mean) : 0, given ? heapOffset(heap, variance) : 0,
        epsilon, relu ? 1 : 0, heapOffset(heap, y), scratch,
      ),
    );
    return y;
  };
  return { kernelName: INSTANCE_NORM_KERNEL, backendName: 'wasm', kernelFunc };
}

/** Whether {@link INSTANCE_NORM_KERNEL} can run on the active backend for a map of `channels` channels. */
export function instanceNormKernelUsable(channels: number): boolean {
  const name = tf.getBackend();
  if (channels % 4 !== 0 || tf.getKernel(INSTANCE_NORM_KERNEL, name) === undefined) return false;
  return simdKernelsFor(tf.findBackend(name) as object) !== undefined;
}
