/**
 * @file Reflection padding (SPEC section 4: "Padding is reflection padding"),
 * NHWC, spatial axes only. `tf.mirrorPad` in 'reflect' mode needs each pad to
 * be smaller than the axis; for tiny maps (a 1x1 map at 1/4 resolution of a
 * 4x4 input) this reflects repeatedly, and a 1-pixel axis is replicated, so
 * any input size works.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * Pads H by [top, bottom] and W by [left, right] with reflection
 * (`x[-1] = x[1]`, the edge not repeated), as `tf.mirrorPad(x, ..., 'reflect')`.
 * @param x float32 NHWC
 * @returns float32 NHWC [B, H + top + bottom, W + left + right, C]; caller disposes.
 */
export function reflectionPad(x: tf.Tensor4D, height: readonly [number, number], width: readonly [number, number]): tf.Tensor4D {
  const [, h, w] = x.shape;
  const [top, bottom] = height;
  const [left, right] = width;
  if (h > 1 && w > 1 && Math.max(top, bottom) < h && Math.max(left, right) < w) {
    return tf.mirrorPad(x, [[0, 0], [top, bottom], [left, right], [0, 0]], 'reflect');
  }
  return tf.tidy(() => padAxis(padAxis(x, 1, top, bottom), 2, left, right));
}

/** Pads one spatial axis, reflecting as often as needed. */
function padAxis(x: tf.Tensor4D, axis: 1 | 2, before: number, after: number): tf.Tensor4D {
  let out = x;
  while (before > 0 || after > 0) {
    const size = out.shape[axis];
    // A 1-pixel axis has nothing to reflect: 'symmetric' mode replicates it.
    const limit = size === 1 ? 1 : size - 1;
    const b = Math.min(before, limit);
    const a = Math.min(after, limit);
    const paddings: Array<[number, number]> = [[0, 0], [0, 0], [0, 0], [0, 0]];
    paddings[axis] = [b, a];
    out = tf.mirrorPad(out, paddings, size === 1 ? 'symmetric' : 'reflect');
    before -= b;
    after -= a;
  }
  return out;
}
