/**
 * @file Pure crop planning for the data pipeline: where to cut a square
 * training crop out of an image and whether to flip it. No pixels here, so
 * it is testable without decoding and deterministic for a given RNG state.
 */
import type { Random } from '../random.js';

/** What to do with one source image to get one training crop. */
export interface CropPlan {
  /** Size to resize the whole image to first (unchanged unless its short side < crop size). */
  readonly resizeWidth: number;
  readonly resizeHeight: number;
  /** Top-left corner and size of the crop in the resized image. */
  readonly left: number;
  readonly top: number;
  readonly size: number;
  /** Mirror horizontally after cropping. */
  readonly flip: boolean;
}

/**
 * Plans a random square crop of `size` from a width x height image.
 * When the short side is smaller than `size` the image is first resized
 * (aspect kept, rounding up) so that its short side equals `size`.
 * Draws exactly three numbers from `random` (x, y, flip), flip or not, so
 * the stream stays aligned whatever the options.
 */
export function planCrop(width: number, height: number, size: number, random: Random, flip: boolean): CropPlan {
  let resizeWidth = width;
  let resizeHeight = height;
  const short = Math.min(width, height);
  if (short < size) {
    const scale = size / short;
    resizeWidth = width === short ? size : Math.max(size, Math.ceil(width * scale));
    resizeHeight = height === short ? size : Math.max(size, Math.ceil(height * scale));
  }
  const left = random.int(resizeWidth - size + 1);
  const top = random.int(resizeHeight - size + 1);
  const mirror = random.next() < 0.5;
  return { resizeWidth, resizeHeight, left, top, size, flip: flip && mirror };
}
