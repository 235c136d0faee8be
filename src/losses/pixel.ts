/** @file Pixel loss (SPEC section 3). */
import * as tf from '@tensorflow/tfjs-core';
import type { Scalar } from '@tensorflow/tfjs-core';
import type { ImageBatch } from '../types.js';
import { assertBatchBroadcastable, assertRank } from './shapes.js';

/**
 * Pixel loss averaged over the batch (SPEC section 3):
 * `mean_b 1/(C H W) ||yh[b] - y[b]||^2`, i.e. the mean squared error over the batch.
 * A target of batch 1 is broadcast over the batch.
 * Differentiable w.r.t. `generated`; safe inside `tf.variableGrads`.
 *
 * @param generated float32 NHWC images in [0, 1], `B x H x W x C`.
 * @param target float32 NHWC images in [0, 1], `B x H x W x C` or `1 x H x W x C`.
 * @returns a float32 scalar >= 0; caller disposes.
 * @throws PerceptualError E_TENSOR_SHAPE when a tensor is not rank-4 float32 or the shapes differ.
 * @example
 * const loss = pixelLoss(upscaled, highRes);
 */
export function pixelLoss(generated: ImageBatch, target: ImageBatch): Scalar {
  assertRank(generated, 4, 'generated', 'pixelLoss', 'rank 4 NHWC');
  assertRank(target, 4, 'target', 'pixelLoss', 'rank 4 NHWC');
  assertBatchBroadcastable(generated, target, 'generated', 'target', 'pixelLoss');
  return tf.tidy(() => tf.mean(tf.squaredDifference(generated, target)));
}
