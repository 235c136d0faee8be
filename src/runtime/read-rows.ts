/**
 * @file Reads some rows of a float32 NHWC map without copying the whole map:
 * on 'wasm' through a view of the heap (its `Slice` kernel copies the whole
 * input first, even for one row: bench/RESULTS-design-figures.md, "Reading
 * rows on wasm"), elsewhere through
 * `dataSync` of a slice.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WasmBackendHeap } from './kernels/wasm-heap.js';

/** Rows [start, start + rows) of batch item 0 of `x` [B, H, W, C] as a new Float32Array [rows * W * C]. */
export function readRows(x: tf.Tensor4D, start: number, rows: number): Float32Array {
  const [, h, w, c] = x.shape;
  if (start < 0 || rows < 0 || start + rows > h) throw new RangeError(`readRows: rows [${start}, ${start + rows}) outside ${h}`);
  const backend = tf.backend() as Partial<WasmBackendHeap>;
  if (x.dtype === 'float32' && tf.getBackend() === 'wasm' && typeof backend.typedArrayFromHeap === 'function') {
    const view = backend.typedArrayFromHeap({ shape: [...x.shape], dtype: 'float32', dataId: x.dataId }) as Float32Array;
    return view.slice(start * w * c, (start + rows) * w * c);
  }
  return readSlice(x, [0, start, 0, 0], [1, rows, w, c]);
}

/**
 * The values of `tf.slice(x, begin, size)`. Deliberately not through
 * tf.tidy: tidy walks whatever its callback returns looking for tensors,
 * element by element for a typed array, which costs seconds on a megapixel map.
 */
export function readSlice(x: tf.Tensor, begin: number[], size: number[]): Float32Array {
  const sliced = tf.slice(x, begin, size);
  try {
    return sliced.dataSync() as Float32Array;
  } finally {
    sliced.dispose();
  }
}
