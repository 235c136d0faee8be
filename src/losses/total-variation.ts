/** @file Total variation regulariser, optionally masked (SPEC section 3). */
import * as tf from '@tensorflow/tfjs-core';
import type { Scalar, Tensor4D } from '@tensorflow/tfjs-core';
import { optionRangeError, optionTypeError, tensorShapeError } from '../errors.js';
import type { ImageBatch } from '../types.js';
import { assertRank } from './shapes.js';

/** Options of `totalVariationLoss`; all optional. */
export interface TotalVariationOptions {
  /** Exponent p of the absolute differences, 1 or 2 (default 2). */
  power?: 1 | 2;
  /**
   * float32 `B x H x W x 1` or `1 x H x W x 1` mask of 0/1 values: only pixel
   * pairs with both pixels in the mask (value 1) count. (A fractional value
   * weighs a pair by the smaller of its two pixels' values.) The normalisation
   * stays `1/(C H W)`.
   */
  mask?: Tensor4D;
}

/**
 * Total variation of each image, averaged over the batch (SPEC section 3):
 * `1/(C H W) * (sum |x[h,w+1,c] - x[h,w,c]|^p + sum |x[h+1,w,c] - x[h,w,c]|^p)`
 * over every neighbouring pair that exists (and, with a mask, whose two
 * pixels both lie in the mask, as Liu et al. 2018 apply it on the dilated hole).
 * With p = 1 the gradient at a zero difference is tfjs's `abs` subgradient.
 * Differentiable w.r.t. `images`; safe inside `tf.variableGrads`.
 *
 * @param images float32 NHWC, `B x H x W x C` (any range; usually [0, 1]).
 * @returns a float32 scalar >= 0 (0 for a 1 x 1 image); caller disposes.
 * @throws RangeError E_OPTIONS for a power other than 1 or 2; TypeError E_OPTIONS for a
 *   mask that is not a tensor; PerceptualError E_TENSOR_SHAPE for a bad image or mask shape.
 * @example
 * const tv = totalVariationLoss(output);                      // p = 2
 * const holeTv = totalVariationLoss(composite, { power: 1, mask: dilatedHole });
 */
export function totalVariationLoss(images: ImageBatch, options: TotalVariationOptions = {}): Scalar {
  const power = options.power ?? 2;
  if (power !== 1 && power !== 2) throw optionRangeError('options.power', 'one of 1, 2', power);
  assertRank(images, 4, 'images', 'totalVariationLoss', 'rank 4 NHWC');
  const [batch, height, width, channels] = images.shape;
  const mask = options.mask;
  if (mask !== undefined) {
    if (!(mask instanceof tf.Tensor)) throw optionTypeError('options.mask', 'a Tensor4D [B,H,W,1] of 0/1 values', mask);
    const [maskBatch, maskHeight, maskWidth, maskChannels] = mask.shape;
    if (mask.rank !== 4 || maskHeight !== height || maskWidth !== width || maskChannels !== 1 || (maskBatch !== 1 && maskBatch !== batch)) {
      throw tensorShapeError('mask', 'totalVariationLoss', `[${batch === 1 ? '1' : `${batch} or 1`},${height},${width},1] to match 'images'`, mask.shape);
    }
  }
  return tf.tidy(() => {
    const magnitude = (d: Tensor4D): Tensor4D => (power === 1 ? tf.abs(d) : tf.square(d));
    const m = mask === undefined ? undefined : tf.cast(mask, 'float32');
    // Sum of |x[next] - x[this]|^p along one axis (1: vertical, 2: horizontal).
    const directional = (axis: 1 | 2): Scalar => {
      if (images.shape[axis] < 2) return tf.scalar(0);
      const window: [number, number] = axis === 1 ? [2, 1] : [1, 2];
      // The differences come from a 2-tap convolution rather than two slices:
      // tfjs-backend-cpu slices non-contiguous axes element by element (far
      // slower: bench/RESULTS-design-figures.md, "Total variation"), and the
      // conv's input gradient exists on every backend (the depthwise one has
      // no wasm kernel). Multiplying by 0 and +-1 is exact in float32.
      let terms = magnitude(tf.conv2d(images, differenceFilter(channels, window), 1, 'valid'));
      // A pair counts only when both pixels are in the mask: min of the pair (= product for 0/1).
      if (m !== undefined) terms = tf.mul(terms, tf.neg(tf.maxPool(tf.neg(m), window, 1, 'valid')));
      return tf.sum(terms);
    };
    return tf.div(tf.add(directional(2), directional(1)), batch * channels * height * width);
  });
}

/** HWIO filter of shape [...window, C, C] computing x[second tap, c] - x[first tap, c] for each channel c. */
function differenceFilter(channels: number, window: [number, number]): Tensor4D {
  const data = new Float32Array(2 * channels * channels);
  for (let c = 0; c < channels; c++) {
    data[c * channels + c] = -1;
    data[(channels + c) * channels + c] = 1;
  }
  return tf.tensor4d(data, [window[0], window[1], channels, channels]);
}
