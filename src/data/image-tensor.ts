/**
 * @file Conversions between interleaved pixel buffers and `ImageBatch`
 * tensors (SPEC section 1), with no codec: usable in Node (after sharp
 * decodes) and in browsers (canvas `ImageData`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { tensorShapeError } from '../errors.js';
import { checkPixels, type RgbImage } from '../pixels.js';
import type { ImageBatch } from '../types.js';
import { checkOneOf } from '../validate.js';

/** Interleaved pixels: 8-bit (`Uint8Array`, `Uint8ClampedArray`) or 16-bit (`Uint16Array`). */
export type PixelBuffer = Uint8Array | Uint8ClampedArray | Uint16Array;

const isPixelBuffer = (data: unknown): boolean => data instanceof Uint8Array || data instanceof Uint8ClampedArray || data instanceof Uint16Array;

/**
 * Converts interleaved pixels to a float32 NHWC RGB batch of one, values in
 * [0, 1] (SPEC section 1).
 *
 * Channels: 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA. Grey is copied to R, G
 * and B. Alpha (straight, not premultiplied, as in PNG and `ImageData`) is
 * composited over WHITE: a transparent pixel becomes white, so that
 * whatever colour an encoder left under it never leaks into a network's
 * input, and the result matches how viewers show such images on a page.
 *
 * @param data interleaved pixels, `width * height * channels` values.
 * @param maxValue the value that means 1.0 (default 255 for 8-bit buffers, 65535 for `Uint16Array`).
 * @returns float32 [1, height, width, 3] in [0, 1]; caller disposes.
 * @throws TypeError/RangeError E_OPTIONS for bad sizes or channel counts.
 * @example
 * const image = imageToTensor(imageData.data, imageData.width, imageData.height, 4);
 */
export function imageToTensor(data: PixelBuffer, width: number, height: number, channels: number, maxValue?: number): ImageBatch {
  checkOneOf(channels, 'channels', [1, 2, 3, 4]);
  checkPixels({ data, width, height, channels }, '', { channels: 'channels', isData: isPixelBuffer, data: 'a Uint8Array, Uint8ClampedArray or Uint16Array', image: 'pixels' });
  const pixels = width * height;
  const scale = 1 / (maxValue ?? (data instanceof Uint16Array ? 65535 : 255));
  const out = new Float32Array(pixels * 3);
  const hasAlpha = channels === 2 || channels === 4;
  const colourChannels = hasAlpha ? channels - 1 : channels;
  for (let p = 0; p < pixels; p += 1) {
    const src = p * channels;
    const alpha = hasAlpha ? (data[src + channels - 1] as number) * scale : 1;
    for (let c = 0; c < 3; c += 1) {
      const value = (data[src + (colourChannels === 1 ? 0 : c)] as number) * scale;
      // Straight alpha over white: v * a + 1 * (1 - a).
      out[p * 3 + c] = hasAlpha ? value * alpha + (1 - alpha) : value;
    }
  }
  return tf.tensor4d(out, [1, height, width, 3], 'float32');
}

/**
 * Converts a batch of one image to 8-bit RGB: clamped to [0, 1], scaled by
 * 255 and rounded to nearest (NaN becomes 0). Does not dispose `image`.
 * The result carries `channels: 3`, so it is an HwcImage too (the metrics take it).
 * @param image float32 [1, H, W, 3], nominally in [0, 1].
 * @throws PerceptualError E_TENSOR_SHAPE unless the shape is [1, H, W, 3].
 */
export async function tensorToRgb(image: ImageBatch): Promise<RgbImage & { readonly channels: 3 }> {
  const [batch, height, width, channels] = image.shape;
  if (image.rank !== 4 || batch !== 1 || channels !== 3) {
    throw tensorShapeError('image', 'tensorToRgb', 'rank 4 NHWC with batch 1 and 3 channels', image.shape);
  }
  const values = await image.data();
  const data = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i += 1) {
    const v = values[i] as number;
    // `v > 0` is false for NaN, so NaN maps to 0.
    data[i] = v > 0 ? (v >= 1 ? 255 : Math.round(v * 255)) : 0;
  }
  return { data, width, height, channels: 3 };
}
