/**
 * @file A loss network (and a style model) that sees every image continued
 * by reflection beyond its border instead of by the zeros of its own 'same'
 * convolutions.
 *
 * Why: with zero padding, every tap near the border responds to an edge
 * between the picture and black that is in no photo, and the Gram matrices
 * average those responses in. Reflecting the input by `margin` pixels and
 * cropping each tap back to the picture's own positions removes that edge
 * from every loss term. (It was tested as the cause of the edge blobs of
 * early style training and is not it: bench/RESULTS-style-recipe.md.)
 */
import * as tf from '@tensorflow/tfjs-core';
import { optionRangeError } from '../errors.js';
import type { FeatureMaps, ImageBatch, LossNetwork, TransformModel } from '../types.js';
import { checkInteger } from '../validate.js';
import { reflectionPad } from './layers/reflection-pad.js';
import { transform } from './transform.js';

/**
 * Wraps `network` so that `features` pads the images by `margin` pixels
 * (reflection) and crops every tap back to the unpadded image's extent. A
 * tap of stride s (input size / tap size) is cropped by margin / s cells, so
 * `margin` must be a multiple of the largest stride asked for.
 * @param margin pixels added on each side, a positive integer (16 suits taps down to 1/16 resolution)
 * @returns a network that owns `network` (its dispose disposes it)
 * @throws RangeError E_OPTIONS for a bad margin; from features, when a tap's stride does not divide the margin
 */
export function withReflectedBorder(network: LossNetwork, margin: number): LossNetwork {
  if (!Number.isInteger(margin) || margin < 1) throw optionRangeError('margin', 'a positive integer', margin);
  return {
    name: `${network.name} (reflected border ${margin})`,
    taps: network.taps,
    source: network.source,
    features(images: ImageBatch, taps: readonly string[]): FeatureMaps {
      const [, height, width] = images.shape;
      return tf.tidy(() => {
        const maps = network.features(reflectionPad(images as tf.Tensor4D, [margin, margin], [margin, margin]), taps);
        const cropped: FeatureMaps = {};
        for (const tap of taps) {
          const map = maps[tap]!;
          const stride = Math.round((height + 2 * margin) / map.shape[1]);
          if (margin % stride !== 0) throw optionRangeError('margin', `a multiple of ${stride}, the stride of tap ${tap}`, margin);
          const offset = margin / stride;
          cropped[tap] = tf.slice(map, [0, offset, offset, 0], [-1, Math.ceil(height / stride), Math.ceil(width / stride), -1]);
        }
        return cropped;
      });
    },
    dispose: () => network.dispose(),
  };
}

/**
 * A style model's output on `images` continued by `margin` pixels of
 * reflection on every side, cut back to the images' extent: what the model
 * paints inside a picture, without the marks its own zero padding leaves
 * along the picture's border (ml5's checkpoints). Distillation targets
 * (src/train/teacher.ts) and their evaluation use it.
 * @param margin pixels on each side; shrinks to one less than the smaller side where that is too wide to reflect
 * @returns float32 NHWC, the shape of `images`, values as the model gives them (not clipped); caller disposes
 */
export function transformWithReflectedBorder(model: TransformModel, images: ImageBatch, margin: number): tf.Tensor4D {
  checkInteger(margin, 'margin', 0);
  const [, height, width] = images.shape;
  const m = Math.min(margin, height - 1, width - 1);
  if (m === 0) return transform(model, images, { lean: true });
  return tf.tidy(() => {
    const output = transform(model, reflectionPad(images as tf.Tensor4D, [m, m], [m, m]), { lean: true });
    return tf.slice(output, [0, m, m, 0], [-1, height, width, -1]);
  });
}
