/**
 * @file Whole-image inference that reads its result with `data()`, for
 * backends that cannot read synchronously (webgpu: src/runtime/sync-reads.ts),
 * where inferRegion's synchronous read-back cannot run. One network call on
 * the whole image, so its instance norms see the whole image's statistics,
 * as an untiled run does on every backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { imageToTensor, tensorToRgb } from '../data/image-tensor.js';
import { transform } from '../networks/transform.js';
import type { RgbImage } from '../pixels.js';
import type { TransformModel } from '../types.js';

/**
 * Runs `model` on the whole of `image` and reads the 8-bit output asynchronously.
 * @returns the 8-bit output (`scale` times larger for SR), rounded as inferRegion's `uint8` output
 */
export async function inferWholeImageAsync(model: TransformModel, image: RgbImage): Promise<RgbImage> {
  const input = imageToTensor(image.data, image.width, image.height, 3);
  let output: tf.Tensor4D;
  try {
    output = transform(model, input, { lean: true });
  } finally {
    input.dispose();
  }
  try {
    const { data, width, height } = await tensorToRgb(output);
    return { data, width, height };
  } finally {
    output.dispose();
  }
}
