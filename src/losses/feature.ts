/** @file Feature reconstruction loss (SPEC section 3). */
import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor4D } from '@tensorflow/tfjs-core';
import { assertBatchBroadcastable, assertRank } from './shapes.js';

/**
 * Feature reconstruction loss of one tap, averaged over the batch (SPEC section 3):
 * `mean_b 1/(C H W) ||phi(yh)[b] - phi(y)[b]||^2`. Since every image of the
 * batch has the same C H W, this is the mean of the squared differences over
 * the whole batch.
 *
 * A target of batch 1 is broadcast over the batch (one reference compared with
 * many generated images); otherwise the batches must be equal.
 * Differentiable w.r.t. `generated`; safe inside `tf.variableGrads` (no reads).
 *
 * @param generated float32 `B x H x W x C` features of the generated images.
 * @param target float32 `B x H x W x C` (or `1 x H x W x C`) features of the targets.
 * @returns a float32 scalar >= 0; caller disposes.
 * @throws PerceptualError E_TENSOR_SHAPE when a tensor is not rank-4 float32 or the shapes differ.
 * @example
 * const loss = featureLoss(maps.relu2_2, contentMaps.relu2_2);
 */
export function featureLoss(generated: Tensor4D, target: Tensor4D): Scalar {
  assertRank(generated, 4, 'generated', 'featureLoss', 'rank 4 NHWC');
  assertRank(target, 4, 'target', 'featureLoss', 'rank 4 NHWC');
  assertBatchBroadcastable(generated, target, 'generated', 'target', 'featureLoss');
  return tf.tidy(() => tf.mean(tf.squaredDifference(generated, target)));
}
