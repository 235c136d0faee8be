/**
 * @file The convolution helpers the transform networks are built from:
 * reflection-padded convs (SPEC section 4) and TensorFlow zero-'SAME' convs
 * (the ml5 checkpoints, SPEC section 6). Kernels are HWIO.
 */
import * as tf from '@tensorflow/tfjs-core';
import { reflectionPad } from './reflection-pad.js';

/** How a conv pads its input. */
export type ConvPadding = 'reflect' | 'same';

/**
 * A KxK convolution of an NHWC map with an HWIO kernel, stride 1 or 2.
 * `reflect`: pad (K-1)/2 on each side by reflection, then a VALID conv, so a
 * stride-2 conv of an even size H gives H/2. `same`: TensorFlow 'SAME' zero
 * padding, which for stride 2 on an even size puts the extra row/column at the
 * bottom/right (tfjs computes it exactly as TF does).
 * @param x float32 NHWC [B, H, W, Cin]
 * @param kernel float32 [K, K, Cin, Cout], K odd
 * @param bias optional [Cout]
 * @returns float32 NHWC [B, H', W', Cout]; caller disposes.
 */
export function conv2dPadded(
  x: tf.Tensor4D,
  kernel: tf.Tensor,
  stride: 1 | 2,
  padding: ConvPadding,
  bias?: tf.Tensor,
): tf.Tensor4D {
  return tf.tidy(() => {
    const k = kernel as tf.Tensor4D;
    let y: tf.Tensor4D;
    if (padding === 'same') {
      y = tf.conv2d(x, k, stride, 'same');
    } else {
      const p = (k.shape[0] - 1) / 2;
      const q = (k.shape[1] - 1) / 2;
      y = tf.conv2d(reflectionPad(x, [p, p], [q, q]), k, stride, 'valid');
    }
    return bias ? (tf.add(y, bias) as tf.Tensor4D) : y;
  });
}
