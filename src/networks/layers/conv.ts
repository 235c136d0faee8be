/**
 * @file The convolution helpers the transform networks are built from:
 * reflection-padded convs (SPEC section 4) and TensorFlow zero-'SAME' convs
 * (the ml5 checkpoints, SPEC section 6). Kernels are HWIO.
 */
import * as tf from '@tensorflow/tfjs-core';
import { reflectionPad } from './reflection-pad.js';
import { padRowsAndCols, type RowBand } from './row-band.js';

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
 * @param band this worker's rows of a banded run (src/networks/layers/row-band.ts): rows beyond the
 *   band come from its neighbours; the band's row count must be divisible by the stride
 * @returns float32 NHWC [B, H', W', Cout]; caller disposes.
 */
export function conv2dPadded(
  x: tf.Tensor4D,
  kernel: tf.Tensor,
  stride: 1 | 2,
  padding: ConvPadding,
  bias?: tf.Tensor,
  band?: RowBand,
): tf.Tensor4D {
  return tf.tidy(() => {
    const k = kernel as tf.Tensor4D;
    let y: tf.Tensor4D;
    if (band) {
      y = tf.conv2d(bandPadded(x, k.shape[0], k.shape[1], stride, padding, band), k, stride, 'valid');
    } else if (padding === 'same') {
      y = tf.conv2d(x, k, stride, 'same');
    } else {
      const p = (k.shape[0] - 1) / 2;
      const q = (k.shape[1] - 1) / 2;
      y = tf.conv2d(reflectionPad(x, [p, p], [q, q]), k, stride, 'valid');
    }
    return bias ? (tf.add(y, bias) as tf.Tensor4D) : y;
  });
}

/**
 * x padded as the whole-image conv pads it, its rows through `band`. TF 'SAME'
 * on a size divisible by the stride pads k - s in total, the smaller half on
 * top (what tfjs computes for the whole map); 'reflect' pads (k - 1) / 2.
 */
function bandPadded(x: tf.Tensor4D, kh: number, kw: number, stride: number, padding: ConvPadding, band: RowBand): tf.Tensor4D {
  if (x.shape[1] % stride !== 0) throw new RangeError(`conv2dPadded: a band of ${x.shape[1]} rows is not divisible by the stride ${stride}`);
  if (padding === 'reflect') {
    const [p, q] = [(kh - 1) / 2, (kw - 1) / 2];
    return padRowsAndCols(x, p, p, 'reflect', band, (t) => reflectionPad(t, [0, 0], [q, q]));
  }
  const rows = Math.max(kh - stride, 0);
  const w = x.shape[2];
  const cols = Math.max((Math.ceil(w / stride) - 1) * stride + kw - w, 0);
  const left = Math.floor(cols / 2);
  return padRowsAndCols(x, Math.floor(rows / 2), rows - Math.floor(rows / 2), 'zero', band, (t) => tf.pad(t, [[0, 0], [0, 0], [left, cols - left], [0, 0]]));
}
