/**
 * @file Bicubic downsampling by an integer factor on plain float32 HWC
 * images (SPEC section 4, the second half of the SR degradation).
 *
 * Decisions, so that every implementation computes the same numbers:
 * - Keys cubic convolution kernel with a = -0.5 (the kernel of MATLAB's
 *   `imresize` and PIL's BICUBIC); it reproduces constant, linear and
 *   quadratic signals exactly.
 * - Pixel-centre alignment: output pixel i samples the input at
 *   x = (i + 0.5) f - 0.5 (as `imresize` and PIL do).
 * - No antialiasing widening of the kernel: the caller blurs first (sigma 1.0
 *   Gaussian), which does the low-pass filtering, so the plain 4-tap
 *   interpolation at the sample positions is what is applied.
 * - Edges: indices are clamped (replicate padding).
 * - Output size: floor(H / f) x floor(W / f).
 */
import { optionRangeError } from '../errors.js';
import type { PlainImage } from './gaussian-blur.js';

/** Keys' cubic convolution kernel W(x) with parameter a (default -0.5). */
export function cubicKernel(x: number, a = -0.5): number {
  const t = Math.abs(x);
  if (t <= 1) return (a + 2) * t * t * t - (a + 3) * t * t + 1;
  if (t < 2) return a * t * t * t - 5 * a * t * t + 8 * a * t - 4 * a;
  return 0;
}

/** The input coordinate that output index `i` samples, `step` input pixels per output pixel (the downscaling factor). */
export function bicubicSamplePosition(i: number, step: number): number {
  return (i + 0.5) * step - 0.5;
}

/**
 * Per output index: the 4 clamped input indices and their weights (normalised).
 * @param step input pixels per output pixel (f to downsample by f, 1/f to upsample)
 */
function taps(outSize: number, inSize: number, step: number): { index: Int32Array; weight: Float32Array } {
  const index = new Int32Array(outSize * 4);
  const weight = new Float32Array(outSize * 4);
  for (let i = 0; i < outSize; i++) {
    const x = bicubicSamplePosition(i, step);
    const base = Math.floor(x);
    let sum = 0;
    for (let k = 0; k < 4; k++) {
      const w = cubicKernel(x - (base - 1 + k));
      weight[i * 4 + k] = w;
      sum += w;
      index[i * 4 + k] = Math.min(inSize - 1, Math.max(0, base - 1 + k));
    }
    // The Keys weights already sum to 1; dividing removes float drift.
    for (let k = 0; k < 4; k++) weight[i * 4 + k] = weight[i * 4 + k]! / sum;
  }
  return { index, weight };
}

/**
 * Resamples an HWC image to `outHeight x outWidth`, separably (rows, then
 * columns), with output pixel i sampling the input at (i + 0.5) * step - 0.5
 * and edges replicated. No antialiasing: callers that downsample blur first.
 * @param step input pixels per output pixel (f to downsample by f, 1/f to upsample by f)
 */
export function bicubicResample(image: PlainImage, outHeight: number, outWidth: number, step: number): PlainImage {
  const { height: h, width: w, channels: c, data } = image;
  const tx = taps(outWidth, w, step);
  const ty = taps(outHeight, h, step);
  const rows = new Float32Array(h * outWidth * c);
  for (let y = 0; y < h; y++) {
    for (let i = 0; i < outWidth; i++) {
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let k = 0; k < 4; k++) acc += tx.weight[i * 4 + k]! * data[(y * w + tx.index[i * 4 + k]!) * c + ch]!;
        rows[(y * outWidth + i) * c + ch] = acc;
      }
    }
  }
  const out = new Float32Array(outHeight * outWidth * c);
  for (let j = 0; j < outHeight; j++) {
    for (let i = 0; i < outWidth; i++) {
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let k = 0; k < 4; k++) acc += ty.weight[j * 4 + k]! * rows[(ty.index[j * 4 + k]! * outWidth + i) * c + ch]!;
        out[(j * outWidth + i) * c + ch] = acc;
      }
    }
  }
  return { height: outHeight, width: outWidth, channels: c, data: out };
}

/**
 * Downsamples an HWC image by an integer factor with bicubic interpolation.
 * @param factor integer >= 1
 * @returns floor(H/f) x floor(W/f) image
 * @throws RangeError E_OPTIONS for a bad factor or an image smaller than the factor
 */
export function bicubicDownsample(image: PlainImage, factor: number): PlainImage {
  if (!Number.isInteger(factor) || factor < 1) throw optionRangeError('factor', 'a positive integer', factor);
  const oh = Math.floor(image.height / factor);
  const ow = Math.floor(image.width / factor);
  if (oh < 1 || ow < 1) throw optionRangeError('image size', `at least ${factor}x${factor} to downsample by ${factor}`, `${image.width}x${image.height}`);
  return bicubicResample(image, oh, ow, factor);
}

/**
 * Upsamples an HWC image by an integer factor with the same kernel and
 * alignment (output pixel i samples the input at (i + 0.5) / f - 0.5).
 * @returns fH x fW image, not clamped (bicubic overshoots near edges)
 * @throws RangeError E_OPTIONS for a bad factor
 */
export function bicubicUpsample(image: PlainImage, factor: number): PlainImage {
  if (!Number.isInteger(factor) || factor < 1) throw optionRangeError('factor', 'a positive integer', factor);
  return bicubicResample(image, image.height * factor, image.width * factor, 1 / factor);
}
