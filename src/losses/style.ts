/** @file Style reconstruction loss, one layer and a set of layers (SPEC section 3). */
import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor3D, Tensor4D } from '@tensorflow/tfjs-core';
import { optionRangeError, tensorShapeError } from '../errors.js';
import type { FeatureMaps } from '../types.js';
import { gramMatrix } from './gram.js';
import { assertRank } from './shapes.js';

/**
 * Style reconstruction loss of one tap (SPEC section 3):
 * `mean_b ||G(yh)[b] - G(y)||_F^2`, the SUM of squared differences over the
 * `C x C` Gram entries (as in the paper, not the mean), averaged over the batch.
 * A target Gram of batch 1 (one style image) is broadcast over the batch.
 * Differentiable w.r.t. `generated`; safe inside `tf.variableGrads`.
 *
 * @param generated float32 `B x H x W x C` features of the generated images.
 * @param targetGram float32 `1 x C x C` or `B x C x C` target Gram matrix (see `gramMatrix`).
 * @returns a float32 scalar >= 0; caller disposes.
 * @throws PerceptualError E_TENSOR_SHAPE when the ranks, channels or batches do not fit.
 * @example
 * const grams = styleTargets(vgg, styleImage, ['relu1_2']);
 * const loss = styleLoss(maps.relu1_2, grams.relu1_2);
 */
export function styleLoss(generated: Tensor4D, targetGram: Tensor3D): Scalar {
  assertRank(generated, 4, 'generated', 'styleLoss', 'rank 4 NHWC');
  assertRank(targetGram, 3, 'targetGram', 'styleLoss', 'rank 3 [B,C,C]');
  const [batch, , , channels] = generated.shape;
  const [targetBatch, rows, columns] = targetGram.shape;
  if (rows !== channels || columns !== channels || (targetBatch !== 1 && targetBatch !== batch)) {
    throw tensorShapeError(
      'targetGram',
      'styleLoss',
      `[${batch === 1 ? '1' : `1 or ${batch}`},${channels},${channels}] to match the ${channels} channels of 'generated' (compute it with gramMatrix on the same tap)`,
      targetGram.shape,
    );
  }
  return tf.tidy(() => tf.div(tf.sum(tf.squaredDifference(gramMatrix(generated), targetGram)), batch));
}

/**
 * Style loss over a set of layers J (SPEC section 3): `sum_j w_j l_style_j`,
 * with `w_j = layerWeights[j]` (default 1).
 *
 * @param features tap name -> float32 `B x H_j x W_j x C_j` features of the generated images.
 * @param targetGrams tap name -> float32 `1 x C_j x C_j` (or `B x C_j x C_j`) target Grams.
 * @param layers the taps J to sum over; each must be in both records.
 * @param layerWeights optional per-layer weights (missing layers weigh 1).
 * @returns a float32 scalar >= 0 (0 for an empty `layers`); caller disposes.
 * @throws RangeError E_OPTIONS when a layer is missing from `features` or `targetGrams`;
 *   PerceptualError E_TENSOR_SHAPE as `styleLoss`.
 * @example
 * const loss = styleLossOverLayers(maps, grams, ['relu1_2', 'relu2_2', 'relu3_3', 'relu4_3']);
 */
export function styleLossOverLayers(
  features: FeatureMaps,
  targetGrams: Readonly<Record<string, Tensor3D>>,
  layers: readonly string[],
  layerWeights: Readonly<Record<string, number>> = {},
): Scalar {
  for (const [index, layer] of layers.entries()) {
    if (!(layer in features)) throw optionRangeError(`layers[${index}]`, `a key of features (${Object.keys(features).join(', ')})`, layer);
    if (!(layer in targetGrams)) {
      throw optionRangeError(`layers[${index}]`, `a key of targetGrams (${Object.keys(targetGrams).join(', ')}); compute it with styleTargets`, layer);
    }
  }
  return tf.tidy(() => {
    let total: Scalar = tf.scalar(0);
    for (const layer of layers) {
      const term = styleLoss(features[layer]!, targetGrams[layer]!);
      total = tf.add(total, tf.mul(term, layerWeights[layer] ?? 1));
    }
    return total;
  });
}
