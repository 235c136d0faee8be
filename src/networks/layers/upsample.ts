/**
 * @file 2x upsampling stages ("uN" in SPEC section 4): nearest-neighbour
 * resize then a 3x3 conv (default: no checkerboard artefacts, Odena et al.
 * 2016), or a 3x3 stride-2 transposed conv.
 */
import * as tf from '@tensorflow/tfjs-core';
import { conv2dPadded, type ConvPadding } from './conv.js';

/**
 * Nearest-neighbour 2x resize (each pixel becomes a 2x2 block), then a
 * stride-1 conv.
 * @param x float32 NHWC [B, H, W, Cin]
 * @param kernel HWIO [K, K, Cin, Cout]
 * @returns float32 NHWC [B, 2H, 2W, Cout]; caller disposes.
 */
export function upsampleResizeConv(x: tf.Tensor4D, kernel: tf.Tensor, padding: ConvPadding, bias?: tf.Tensor): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w] = x.shape;
    // alignCorners/halfPixelCenters false: source index floor(i / 2), an exact 2x2 replication.
    const big = tf.image.resizeNearestNeighbor(x, [2 * h, 2 * w], false, false);
    return conv2dPadded(big, kernel, 1, padding, bias);
  });
}

/**
 * A stride-2 transposed conv with output size exactly 2H x 2W: the adjoint of
 * a stride-2 TF-'SAME' conv (how the ml5 checkpoints upsample, FORMAT.md
 * section 3). The kernel is in TF `conv2d_transpose` layout
 * [K, K, Cout, Cin], which is also tfjs `conv2dTranspose`'s.
 * @param x float32 NHWC [B, H, W, Cin]
 * @param kernel [K, K, Cout, Cin]
 * @returns float32 NHWC [B, 2H, 2W, Cout]; caller disposes.
 */
export function upsampleTranspose(x: tf.Tensor4D, kernel: tf.Tensor, bias?: tf.Tensor): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, h, w] = x.shape;
    const k = kernel as tf.Tensor4D;
    const y = tf.conv2dTranspose(x, k, [b, 2 * h, 2 * w, k.shape[2]], 2, 'same');
    return bias ? (tf.add(y, bias) as tf.Tensor4D) : y;
  });
}
