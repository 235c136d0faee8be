/**
 * @file Whether the active backend can read a tensor synchronously
 * (`dataSync`), which the tiled inference path does (region outputs, the
 * statistics of shared instance norms). tfjs-backend-webgpu can only do it
 * through an OffscreenCanvas: Node has none, and in headless Chromium 156 on
 * SwiftShader that read returned zeros and lost the device, so code that
 * must run on webgpu reads with `await tensor.data()` instead.
 */
import * as tf from '@tensorflow/tfjs-core';

/** False on the webgpu backend; true on wasm, cpu and native TensorFlow. */
export function activeBackendReadsSynchronously(): boolean {
  return tf.getBackend() !== 'webgpu';
}
