/**
 * @file The convolution helpers the transform networks are built from:
 * reflection-padded convs (SPEC section 4) and TensorFlow zero-'SAME' convs
 * (the ml5 checkpoints, SPEC section 6). Kernels are HWIO. The border comes
 * from the execution (src/networks/execution.ts): the whole image pads its
 * own edge; a row band takes the rows beyond it from its neighbours.
 */
import * as tf from '@tensorflow/tfjs-core';
import { sameBorder, wholeImagePadding, type Border, type MapPadding } from '../execution.js';

/** How a conv pads its input. */
export type ConvPadding = 'reflect' | 'same';

/**
 * A KxK convolution of an NHWC map with an HWIO kernel, stride 1 or 2.
 * `reflect`: pad (K-1)/2 on each side by reflection, then a VALID conv, so a
 * stride-2 conv of an even size H gives H/2. `same`: TensorFlow 'SAME' zero
 * padding, which for stride 2 on an even size puts the extra row/column at the
 * bottom/right (sameBorder, src/networks/execution.ts).
 * @param x float32 NHWC [B, H, W, Cin]
 * @param kernel float32 [K, K, Cin, Cout], K odd
 * @param bias optional [Cout]
 * @param execution where the border comes from (default: the whole image's edge); a row band's rows
 *   must be divisible by the stride, so that its 'SAME' border is the whole image's
 * @returns float32 NHWC [B, H', W', Cout]; caller disposes.
 */
export function conv2dPadded(x: tf.Tensor4D, kernel: tf.Tensor, stride: 1 | 2, padding: ConvPadding, bias?: tf.Tensor, execution: MapPadding = wholeImagePadding): tf.Tensor4D {
  return tf.tidy(() => {
    const k = kernel as tf.Tensor4D;
    const [kh, kw] = k.shape;
    const border: Border =
      padding === 'reflect' ? { top: (kh - 1) / 2, bottom: (kh - 1) / 2, left: (kw - 1) / 2, right: (kw - 1) / 2 } : sameBorder(x.shape, kh, kw, stride);
    const y = execution.conv(x, k, stride, border, padding === 'reflect' ? 'reflect' : 'zero');
    return bias ? (tf.add(y, bias) as tf.Tensor4D) : y;
  });
}
