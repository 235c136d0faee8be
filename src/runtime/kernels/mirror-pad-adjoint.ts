/**
 * @file The MirrorPad gradient as one wasm kernel (MIRROR_PAD_ADJOINT_KERNEL).
 *
 * The gradient composed from tfjs ops (src/runtime/mirror-pad-gradient.ts)
 * slices border slabs out of dy, reverses and pads them; on the wasm
 * backend a slice that is not one contiguous run of memory (any border
 * column, and any border row of a batch of more than one image) takes the
 * stock kernel's slow element-by-element path, and those slices were a large
 * share of a batched training step (bench/RESULTS.md, "Training step
 * profile"). This kernel reads dy once: every padded cell adds its run of
 * trailing, unpadded axes (the channels) onto the cell it copies, in the
 * backend's heap.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mirrorIndex } from '../../mirror-index.js';
import { MIRROR_PAD_ADJOINT_KERNEL } from '../kernel-names.js';
import type { WasmBackendHeap } from './wasm-heap.js';

/**
 * Adds each element of `dy` (shape `dyShape`, the padded shape) onto the
 * element of `dx` (zeroed by the caller, the unpadded shape) it was copied from.
 */
function foldMirrorPad(dy: Float32Array, dyShape: readonly number[], paddings: ReadonlyArray<readonly [number, number]>, mode: 'reflect' | 'symmetric', dx: Float32Array): void {
  const rank = dyShape.length;
  // Axes after the last padded one are copied whole: one run of `inner` elements per outer index.
  let lastPadded = -1;
  paddings.forEach(([a, b], axis) => {
    if (a > 0 || b > 0) lastPadded = axis;
  });
  const outer = lastPadded + 1;
  const xShape = dyShape.map((d, axis) => d - paddings[axis]![0] - paddings[axis]![1]);
  const inner = dyShape.slice(outer).reduce((a, b) => a * b, 1);
  // Per outer axis: the element stride of x along it, and for each padded index the x index it copies.
  const xStrides = new Array<number>(rank);
  for (let axis = rank - 1, stride = 1; axis >= 0; stride *= xShape[axis]!, axis--) xStrides[axis] = stride;
  const sources = Array.from({ length: outer }, (_, axis) =>
    Int32Array.from({ length: dyShape[axis]! }, (_, p) => mirrorIndex(p - paddings[axis]![0], xShape[axis]!, mode) * xStrides[axis]!),
  );
  const index = new Array<number>(outer).fill(0);
  const count = dyShape.slice(0, outer).reduce((a, b) => a * b, 1);
  for (let run = 0; run < count; run++) {
    let target = 0;
    for (let axis = 0; axis < outer; axis++) target += sources[axis]![index[axis]!]!;
    const from = run * inner;
    for (let i = 0; i < inner; i++) dx[target + i]! += dy[from + i]!;
    for (let axis = outer - 1; axis >= 0; axis--) {
      if (++index[axis]! < dyShape[axis]!) break;
      index[axis] = 0;
    }
  }
}

/** The wasm kernel config: dy in, the folded gradient (unpadded shape) out. */
export function makeMirrorPadAdjointConfig(): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = ({ inputs, backend, attrs }) => {
    const { dy } = inputs as { dy: tf.TensorInfo };
    const { paddings, mode } = attrs as unknown as tf.MirrorPadAttrs;
    if (dy.dtype !== 'float32') throw new Error(`${MIRROR_PAD_ADJOINT_KERNEL}: dy must be float32, got ${dy.dtype}`);
    const heap = backend as WasmBackendHeap;
    const dx = heap.makeOutput(dy.shape.map((d, axis) => d - paddings[axis]![0] - paddings[axis]![1]), 'float32');
    // Views taken after the allocation (it may grow the heap); makeOutput does not zero.
    const out = heap.typedArrayFromHeap(dx) as Float32Array;
    out.fill(0);
    foldMirrorPad(heap.typedArrayFromHeap(dy) as Float32Array, dy.shape, paddings, mode, out);
    return dx;
  };
  return { kernelName: MIRROR_PAD_ADJOINT_KERNEL, backendName: 'wasm', kernelFunc };
}
