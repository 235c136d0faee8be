/**
 * @file The super-resolution degradations that make LR training inputs from
 * HR patches (see bicubic.ts for the exact sample positions and kernels):
 * - `blur-bicubic` (SPEC section 4, the default): a Gaussian blur of sigma
 *   1.0, then plain bicubic downsampling by the factor f;
 * - `bicubic`: MATLAB `imresize` antialiased bicubic downsampling, rounded to
 *   8 bits as imresize returns for 8-bit images: how the standard benchmark
 *   LR images (Set5 `LR_bicubic_x4`, ...) were made, so a model trained on it
 *   sees at training time the inputs it is evaluated on. The two differ
 *   (sigma-1 blur vs a 4f-tap cubic low-pass): a model trained on one loses
 *   PSNR on the other.
 * Works on plain float32 NHWC buffers so it runs in the data pipeline, off
 * the tfjs backend.
 */
import { optionRangeError } from '../errors.js';
import { bicubicDownsample, imresizeDownsample } from './bicubic.js';
import { gaussianBlur } from './gaussian-blur.js';
import { checkInteger, checkOneOf } from '../validate.js';

/** SPEC section 4: the blur before downsampling. */
export const SR_BLUR_SIGMA = 1.0;

/** The degradations, the SPEC's first (the default). */
export const SR_DEGRADATIONS = Object.freeze(['blur-bicubic', 'bicubic'] as const);
export type SrDegradation = (typeof SR_DEGRADATIONS)[number];

/** A float32 NHWC batch held in a plain array (values in [0, 1]). */
export interface PlainBatch {
  readonly shape: readonly [number, number, number, number];
  readonly data: Float32Array;
}

/**
 * Degrades a batch of HR patches into LR inputs.
 * @param hr float32 NHWC in [0, 1], H and W multiples of `scale`
 * @param scale the SR factor (2, 4 or 8)
 * @param degradation see the file comment
 * @returns NHWC batch of size H/scale x W/scale, clamped to [0, 1] (and on the 1/255 grid for `bicubic`)
 * @throws RangeError E_OPTIONS when H or W is not a multiple of scale, or for an unknown degradation
 */
export function degradeForSr(hr: PlainBatch, scale: number, degradation: SrDegradation = 'blur-bicubic'): PlainBatch {
  const [n, h, w, c] = hr.shape;
  checkInteger(scale, 'scale', 1);
  checkOneOf(degradation, 'degradation (--degradation)', SR_DEGRADATIONS);
  if (h % scale !== 0 || w % scale !== 0) {
    throw optionRangeError('HR patch size', `a multiple of the scale ${scale}; choose --image-size accordingly`, `${w}x${h}`);
  }
  const oh = h / scale;
  const ow = w / scale;
  const out = new Float32Array(n * oh * ow * c);
  const per = h * w * c;
  for (let b = 0; b < n; b++) {
    const image = { height: h, width: w, channels: c, data: hr.data.subarray(b * per, (b + 1) * per) };
    const low = degradation === 'bicubic' ? imresizeDownsample(image, scale) : bicubicDownsample(gaussianBlur(image, SR_BLUR_SIGMA), scale);
    const quantise = degradation === 'bicubic';
    for (let i = 0; i < low.data.length; i++) {
      // Bicubic overshoots slightly at edges; images stay in [0, 1] (SPEC section 1).
      const v = Math.min(1, Math.max(0, low.data[i]!));
      out[b * oh * ow * c + i] = quantise ? Math.round(v * 255) / 255 : v;
    }
  }
  return { shape: [n, oh, ow, c], data: out };
}
