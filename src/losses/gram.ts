/** @file Gram matrices of feature maps (SPEC section 3). */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor3D, Tensor4D } from '@tensorflow/tfjs-core';
import { assertRank } from './shapes.js';

/**
 * Gram matrix of each image's feature map (SPEC section 3): with `F` the
 * `(H W) x C` reshaping of `features[b]`, `G[b] = F^T F / (C H W)`.
 * Differentiable w.r.t. `features`; safe inside `tf.variableGrads`.
 *
 * @param features float32 `B x H x W x C` feature map (one tap).
 * @returns float32 `B x C x C`, symmetric, positive semi-definite; caller disposes.
 * @throws PerceptualError E_TENSOR_SHAPE when `features` is not rank-4 float32.
 * @example
 * const grams = gramMatrix(maps.relu3_3); // [B, 256, 256]
 */
export function gramMatrix(features: Tensor4D): Tensor3D {
  assertRank(features, 4, 'features', 'gramMatrix', 'rank 4 NHWC');
  const [batch, height, width, channels] = features.shape;
  return tf.tidy(() => {
    const flat = tf.reshape(features, [batch, height * width, channels]);
    // One batched matmul: F^T F for every image at once.
    return tf.div(tf.matMul(flat, flat, true, false), channels * height * width);
  });
}
