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
 * - `bicubicDownsample`: no antialiasing widening of the kernel: the caller
 *   blurs first (sigma 1.0 Gaussian), which does the low-pass filtering, so
 *   the plain 4-tap interpolation at the sample positions is what is applied.
 *   Edges: indices are clamped (replicate padding).
 * - `imresizeDownsample`: MATLAB `imresize(x, 1/f, 'bicubic')` with its
 *   default antialiasing, the degradation behind the standard SR benchmark LR
 *   images: the kernel stretched to `W(x / f) / f` (4f taps), weights
 *   normalised, edges replicated. The 4f-wide support reaches 2f pixels past
 *   the border, so the edge rule matters there: replication reproduces Set5's
 *   LR_bicubic_x4 files at about 58 dB PSNR, mirroring (x[-1] = x[0], x[-2] =
 *   x[1]) at 55-58 dB (measured; test/data/sr-degradation.test.ts).
 * - Output size: floor(H / f) x floor(W / f).
 */
import { optionRangeError } from '../errors.js';
import type { FloatImage } from '../pixels.js';
import { checkInteger } from '../validate.js';

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
 * Per output index: `count` clamped input indices and their weights (normalised).
 * @param step input pixels per output pixel (f to downsample by f, 1/f to upsample)
 * @param stretch kernel widening: 1 for plain interpolation (4 taps), f for antialiased downsampling (4f taps)
 */
function taps(outSize: number, inSize: number, step: number, stretch = 1): { count: number; index: Int32Array; weight: Float32Array } {
  const count = 4 * stretch;
  const index = new Int32Array(outSize * count);
  const weight = new Float32Array(outSize * count);
  for (let i = 0; i < outSize; i++) {
    const x = bicubicSamplePosition(i, step);
    // The taps j with |x - j| < 2 stretch (for stretch 1: floor(x) - 1 .. floor(x) + 2).
    const first = Math.floor(x - 2 * stretch) + 1;
    let sum = 0;
    for (let k = 0; k < count; k++) {
      const w = cubicKernel((x - (first + k)) / stretch);
      weight[i * count + k] = w;
      sum += w;
      index[i * count + k] = Math.min(inSize - 1, Math.max(0, first + k));
    }
    // Plain Keys weights already sum to 1 (dividing removes float drift); stretched ones sum to about 1 only.
    for (let k = 0; k < count; k++) weight[i * count + k] = weight[i * count + k]! / sum;
  }
  return { count, index, weight };
}

/**
 * Resamples an HWC image to `outHeight x outWidth`, separably (rows, then
 * columns), with output pixel i sampling the input at (i + 0.5) * step - 0.5
 * and edges replicated. No antialiasing: callers that downsample blur first.
 * @param step input pixels per output pixel (f to downsample by f, 1/f to upsample by f)
 */
export function bicubicResample(image: FloatImage, outHeight: number, outWidth: number, step: number): FloatImage {
  return separable(image, outHeight, outWidth, taps(outWidth, image.width, step), taps(outHeight, image.height, step));
}

type Taps = ReturnType<typeof taps>;

function separable(image: FloatImage, outHeight: number, outWidth: number, tx: Taps, ty: Taps): FloatImage {
  const { height: h, width: w, channels: c, data } = image;
  const rows = new Float32Array(h * outWidth * c);
  for (let y = 0; y < h; y++) {
    for (let i = 0; i < outWidth; i++) {
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let k = 0; k < tx.count; k++) acc += tx.weight[i * tx.count + k]! * data[(y * w + tx.index[i * tx.count + k]!) * c + ch]!;
        rows[(y * outWidth + i) * c + ch] = acc;
      }
    }
  }
  const out = new Float32Array(outHeight * outWidth * c);
  for (let j = 0; j < outHeight; j++) {
    for (let i = 0; i < outWidth; i++) {
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let k = 0; k < ty.count; k++) acc += ty.weight[j * ty.count + k]! * rows[(ty.index[j * ty.count + k]! * outWidth + i) * c + ch]!;
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
export function bicubicDownsample(image: FloatImage, factor: number): FloatImage {
  const [oh, ow] = downsampledSize(image, factor);
  return bicubicResample(image, oh, ow, factor);
}

function downsampledSize(image: FloatImage, factor: number): [number, number] {
  checkInteger(factor, 'factor', 1);
  const oh = Math.floor(image.height / factor);
  const ow = Math.floor(image.width / factor);
  if (oh < 1 || ow < 1) throw optionRangeError('image size', `at least ${factor}x${factor} to downsample by ${factor}`, `${image.width}x${image.height}`);
  return [oh, ow];
}

/**
 * Upsamples an HWC image by an integer factor with the same kernel and
 * alignment (output pixel i samples the input at (i + 0.5) / f - 0.5).
 * @returns fH x fW image, not clamped (bicubic overshoots near edges)
 * @throws RangeError E_OPTIONS for a bad factor
 */
export function bicubicUpsample(image: FloatImage, factor: number): FloatImage {
  checkInteger(factor, 'factor', 1);
  return bicubicResample(image, image.height * factor, image.width * factor, 1 / factor);
}

/**
 * Antialiased bicubic downsampling by an integer factor, as MATLAB's
 * `imresize(x, 1/f)` (bicubic, antialiasing on): see the file comment.
 * Not clamped and not rounded (imresize on uint8 images also rounds).
 * @returns floor(H/f) x floor(W/f) image
 * @throws RangeError E_OPTIONS for a bad factor or an image smaller than the factor
 */
export function imresizeDownsample(image: FloatImage, factor: number): FloatImage {
  const [oh, ow] = downsampledSize(image, factor);
  return separable(image, oh, ow, taps(ow, image.width, factor, factor), taps(oh, image.height, factor, factor));
}
