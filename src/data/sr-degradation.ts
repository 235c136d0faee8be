/**
 * @file The super-resolution degradation (SPEC section 4): a high-resolution
 * patch is blurred with a Gaussian of sigma 1.0, then downsampled by the
 * factor f with bicubic interpolation (see bicubic.ts for the exact sample
 * positions and kernel). Works on plain float32 NHWC buffers so it runs in
 * the data pipeline, off the tfjs backend.
 */
import { optionRangeError } from '../errors.js';
import { bicubicDownsample } from './bicubic.js';
import { gaussianBlur } from './gaussian-blur.js';

/** SPEC section 4: the blur before downsampling. */
export const SR_BLUR_SIGMA = 1.0;

/** A float32 NHWC batch held in a plain array (values in [0, 1]). */
export interface PlainBatch {
  readonly shape: readonly [number, number, number, number];
  readonly data: Float32Array;
}

/**
 * Degrades a batch of HR patches into LR inputs.
 * @param hr float32 NHWC in [0, 1], H and W multiples of `scale`
 * @param scale the SR factor (2, 4 or 8)
 * @returns NHWC batch of size H/scale x W/scale, clamped to [0, 1]
 * @throws RangeError E_OPTIONS when H or W is not a multiple of scale
 */
export function degradeForSr(hr: PlainBatch, scale: number, sigma = SR_BLUR_SIGMA): PlainBatch {
  const [n, h, w, c] = hr.shape;
  if (!Number.isInteger(scale) || scale < 1) throw optionRangeError('scale', 'a positive integer', scale);
  if (h % scale !== 0 || w % scale !== 0) {
    throw optionRangeError('HR patch size', `a multiple of the scale ${scale}; choose --image-size accordingly`, `${w}x${h}`);
  }
  const oh = h / scale;
  const ow = w / scale;
  const out = new Float32Array(n * oh * ow * c);
  const per = h * w * c;
  for (let b = 0; b < n; b++) {
    const image = { height: h, width: w, channels: c, data: hr.data.subarray(b * per, (b + 1) * per) };
    const low = bicubicDownsample(gaussianBlur(image, sigma), scale);
    // Bicubic overshoots slightly at edges; images stay in [0, 1] (SPEC section 1).
    for (let i = 0; i < low.data.length; i++) out[b * oh * ow * c + i] = Math.min(1, Math.max(0, low.data[i]!));
  }
  return { shape: [n, oh, ow, c], data: out };
}
