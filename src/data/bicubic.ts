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

/** The input coordinate that output index `i` samples when downscaling by `factor`. */
export function bicubicSamplePosition(i: number, factor: number): number {
  return (i + 0.5) * factor - 0.5;
}

/** Per output index: the 4 clamped input indices and their weights (normalised). */
function taps(outSize: number, inSize: number, factor: number): { index: Int32Array; weight: Float32Array } {
  const index = new Int32Array(outSize * 4);
  const weight = new Float32Array(outSize * 4);
  for (let i = 0; i < outSize; i++) {
    const x = bicubicSamplePosition(i, factor);
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
 * Downsamples an HWC image by an integer factor with bicubic interpolation.
 * @param factor integer >= 1
 * @returns floor(H/f) x floor(W/f) image
 * @throws RangeError E_OPTIONS for a bad factor or an image smaller than the factor
 */
export function bicubicDownsample(image: PlainImage, factor: number): PlainImage {
  if (!Number.isInteger(factor) || factor < 1) throw optionRangeError('factor', 'a positive integer', factor);
  const { height: h, width: w, channels: c, data } = image;
  const oh = Math.floor(h / factor);
  const ow = Math.floor(w / factor);
  if (oh < 1 || ow < 1) throw optionRangeError('image size', `at least ${factor}x${factor} to downsample by ${factor}`, `${w}x${h}`);
  const tx = taps(ow, w, factor);
  const ty = taps(oh, h, factor);
  // Horizontal pass: h x ow.
  const rows = new Float32Array(h * ow * c);
  for (let y = 0; y < h; y++) {
    for (let i = 0; i < ow; i++) {
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let k = 0; k < 4; k++) acc += tx.weight[i * 4 + k]! * data[(y * w + tx.index[i * 4 + k]!) * c + ch]!;
        rows[(y * ow + i) * c + ch] = acc;
      }
    }
  }
  const out = new Float32Array(oh * ow * c);
  for (let j = 0; j < oh; j++) {
    for (let i = 0; i < ow; i++) {
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let k = 0; k < 4; k++) acc += ty.weight[j * 4 + k]! * rows[(ty.index[j * 4 + k]! * ow + i) * c + ch]!;
        out[(j * ow + i) * c + ch] = acc;
      }
    }
  }
  return { height: oh, width: ow, channels: c, data: out };
}
