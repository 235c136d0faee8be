/**
 * @file Instance normalisation (Ulyanov et al. 2016), the "later improvement"
 * SPEC section 4 puts after every style-network conv but the last: affine,
 * per image and per channel, statistics over H and W only.
 *
 * Two forms: `instanceNorm`, differentiable (training), and `inferenceNorm`,
 * the fused kernel where the backend has one. Where the statistics come from
 * (the map itself, a record pass, every band of a banded run) is the
 * execution's choice (src/networks/execution.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { INSTANCE_NORM_KERNEL, type InstanceNormAttrs } from '../../runtime/kernel-names.js';
import { instanceNormKernelUsable } from '../../runtime/kernels/instance-norm.js';

/** One instance-norm layer: its name (`c1.norm`, `res0.norm1`, ...: the key of its statistics), affine parameters [C] and epsilon. */
export interface NormLayer {
  readonly name: string;
  readonly gamma: tf.Tensor;
  readonly beta: tf.Tensor;
  /** Added to the variance (johnson 1e-5, ml5 1e-3). */
  readonly epsilon: number;
}

/**
 * `gamma * (x - mean) / sqrt(var + epsilon) + beta`, with mean and the biased
 * variance taken per image and per channel over H and W (SPEC section 4;
 * FORMAT.md section 3 for the ml5 variant's epsilon 1e-3), unless `moments`
 * supplies them.
 *
 * Computed as `(x - mean) * scale + beta` with per-image, per-channel
 * `scale = gamma / sqrt(var + epsilon)`, the centred map shared with the
 * variance: four full-size passes after the mean (sub, square, mul, add)
 * instead of six. The variance stays two-pass like tf.moments (mean of
 * `(x - mean)^2`), so inputs with a large mean keep their precision (folding
 * the mean into a shift, `x * scale + (beta - mean * scale)`, would cancel
 * large terms). Every op is differentiable, so tf.grad through this function
 * (training) gets the gradients with respect to x (through the statistics
 * too), gamma and beta. Not used: tf.squaredDifference (its tfjs 4.22 gradient
 * does not reduce a broadcast operand) and tf.batchNorm (a scalar loop on
 * WASM, slower than these passes, and its gradient only supports [C]-shaped
 * statistics).
 * @param x float32 NHWC, any range
 * @param gamma scale, shape [C]
 * @param beta shift, shape [C]
 * @param epsilon added to the variance (johnson 1e-5, ml5 1e-3)
 * @param moments optional mean and variance broadcastable to [B, 1, 1, C] to use instead of x's own
 * @returns float32 NHWC, same shape as x; caller disposes.
 */
export function instanceNorm(
  x: tf.Tensor4D,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon: number,
  moments?: { readonly mean: tf.Tensor; readonly variance: tf.Tensor },
): tf.Tensor4D {
  return tf.tidy(() => {
    const mean = moments?.mean ?? tf.mean(x, [1, 2], true);
    const centred = tf.sub(x, mean);
    const variance = moments?.variance ?? tf.mean(tf.square(centred), [1, 2], true);
    // [B, 1, 1, C]-sized work; the full-size work is one multiply and one add.
    const scale = tf.mul(gamma, tf.rsqrt(tf.add(variance, epsilon)));
    return tf.add(tf.mul(centred, scale), beta) as tf.Tensor4D;
  });
}

/**
 * Instance norm (+ ReLU) without gradients: perceptual's fused kernel where
 * the active backend has it (wasm: src/runtime/kernels/instance-norm.ts), else
 * tfjs ops. `statistics` given ([C] each): used for every image instead of its own.
 * @returns float32 NHWC, same shape as x; caller disposes.
 */
export function inferenceNorm(x: tf.Tensor4D, layer: NormLayer, relu: boolean, statistics?: { readonly mean: tf.Tensor1D; readonly variance: tf.Tensor1D }): tf.Tensor4D {
  const { gamma, beta, epsilon } = layer;
  if (instanceNormKernelUsable(x.shape[3])) {
    const inputs: tf.NamedTensorMap = { x, gamma, beta, ...(statistics ?? {}) };
    const attrs: InstanceNormAttrs = { epsilon, relu };
    return tf.engine().runKernel(INSTANCE_NORM_KERNEL, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
  }
  return tf.tidy(() => {
    const y = statistics
      ? tf.batchNorm(x, statistics.mean, statistics.variance, beta as tf.Tensor1D, gamma as tf.Tensor1D, epsilon)
      : instanceNorm(x, gamma, beta, epsilon);
    return relu ? tf.relu(y) : y;
  });
}
