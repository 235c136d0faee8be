/**
 * @file Test helper: a kernel or graph that is run again must leave the
 * tensor count and the backend's data ids (WASM heap blocks, scratch
 * buffers included) where they were.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as assert from 'uvu/assert';

/**
 * Runs `run` once to warm up (kernels may allocate scratch blocks they keep
 * on the first call), then `repeats` more times, and asserts that neither
 * `tf.memory().numTensors` nor the active backend's `numDataIds()` moved
 * over the repeats.
 */
export function assertNoLeaks(run: () => void, repeats = 3): void {
  run();
  const backend = tf.backend();
  const tensors = tf.memory().numTensors;
  const dataIds = backend.numDataIds();
  for (let i = 0; i < repeats; i++) run();
  assert.is(tf.memory().numTensors, tensors, 'tensors left behind');
  assert.is(backend.numDataIds(), dataIds, 'backend data ids left behind');
}
