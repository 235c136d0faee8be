/**
 * @file The parts of tfjs-backend-wasm's `BackendWasm` that perceptual's
 * kernels use to reach tensors in its heap (allocate, view, free, find a
 * tensor's offset, scratch blocks for one kernel call). Not public tfjs
 * API: kept in one place.
 */
import type * as tf from '@tensorflow/tfjs-core';

/** A tfjs-backend-wasm backend instance, as far as perceptual's kernels use it. */
export interface WasmBackendHeap {
  readonly wasm: { readonly asm?: { readonly memory?: WebAssembly.Memory }; _malloc(bytes: number): number };
  readonly dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  /** A view of the tensor's data in the heap; take it after allocating (an allocation may grow and detach the heap). */
  typedArrayFromHeap(info: tf.TensorInfo): tf.TypedArray;
  disposeData(dataId: object): boolean;
}

/** The heap offset of a tensor's data on the wasm backend. */
export function heapOffset(backend: object, info: { dataId: object }): number {
  const entry = (backend as WasmBackendHeap).dataIdMap.get(info.dataId);
  if (entry === undefined) throw new Error('heapOffset: the tensor is not on this wasm backend');
  return entry.memoryOffset;
}

/**
 * Runs `run` with float32 scratch blocks of `sizes` elements from tfjs's
 * allocator (8-byte aligned, so a block may hold doubles) and frees them when
 * it returns or throws. `run` gets the blocks' heap offsets, read once every
 * block is allocated (an allocation may grow the heap; offsets stay valid).
 */
export function withScratch<T>(heap: WasmBackendHeap, sizes: readonly number[], run: (...offsets: number[]) => T): T {
  const blocks: tf.TensorInfo[] = [];
  try {
    for (const size of sizes) blocks.push(heap.makeOutput([size], 'float32'));
    return run(...blocks.map((block) => heapOffset(heap, block)));
  } finally {
    for (const block of blocks) heap.disposeData(block.dataId);
  }
}
