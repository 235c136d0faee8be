/**
 * @file Instance normalisation (Ulyanov et al. 2016), the "later improvement"
 * SPEC section 4 puts after every style-network conv but the last: affine,
 * per image and per channel, statistics over H and W only.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * `gamma * (x - mean) / sqrt(var + epsilon) + beta`, with mean and the biased
 * variance taken per image and per channel over H and W (SPEC section 4;
 * FORMAT.md section 3 for the ml5 variant's epsilon 1e-3).
 * @param x float32 NHWC, any range
 * @param gamma scale, shape [C]
 * @param beta shift, shape [C]
 * @param epsilon added to the variance (johnson 1e-5, ml5 1e-3)
 * @returns float32 NHWC, same shape as x; caller disposes.
 */
export function instanceNorm(x: tf.Tensor4D, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): tf.Tensor4D {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, [1, 2], true);
    const normalised = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, epsilon)));
    return tf.add(tf.mul(normalised, gamma), beta) as tf.Tensor4D;
  });
}
