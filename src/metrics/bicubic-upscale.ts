/**
 * @file The bicubic baseline of super-resolution papers: MATLAB
 * `imresize(lr, scale, 'bicubic')` for an integer upscaling factor.
 *
 * What MATLAB does, and this reproduces:
 * - Keys' cubic kernel with a = -0.5 (same as src/data/bicubic.ts), 4 taps,
 *   no kernel widening when enlarging;
 * - output pixel i (0-based) samples the input at x = (i + 0.5) / s - 0.5;
 * - weights normalised to sum 1;
 * - edges mirrored half-sample symmetrically (index -1 reads 0, -2 reads 1,
 *   n reads n - 1), NOT replicated (src/data/bicubic.ts clamps; that file
 *   only downsamples after a blur, where it matters less);
 * - rows (height) first, then columns; for 8-bit input each pass is rounded
 *   and clamped back to 8 bits, as MATLAB's uint8 path does.
 * The output is float [0, 1]: rounded to 8-bit levels for 8-bit input.
 */
import { mirrorIndex } from '../mirror-index.js';
import { checkHwcImage, type FloatImage } from '../pixels.js';
import { checkInteger } from '../validate.js';
import type { MetricImage } from './metric-image.js';
import { cubicKernel } from '../data/bicubic.js';

/** Per output index: 4 input indices and normalised weights. */
function contributions(outSize: number, inSize: number, scale: number): { index: Int32Array; weight: Float64Array } {
  const index = new Int32Array(outSize * 4);
  const weight = new Float64Array(outSize * 4);
  for (let i = 0; i < outSize; i++) {
    const x = (i + 0.5) / scale - 0.5;
    const base = Math.floor(x) - 1;
    let sum = 0;
    for (let k = 0; k < 4; k++) {
      const w = cubicKernel(x - (base + k), -0.5);
      weight[i * 4 + k] = w;
      sum += w;
      index[i * 4 + k] = mirrorIndex(base + k, inSize, 'symmetric');
    }
    for (let k = 0; k < 4; k++) weight[i * 4 + k] = weight[i * 4 + k]! / sum;
  }
  return { index, weight };
}

/**
 * Upscales an image by an integer factor with MATLAB-style bicubic interpolation.
 * @param image HWC, 8-bit (0..255) or float in [0, 1]
 * @param scale integer >= 1
 * @returns (scale H) x (scale W), float32 in [0, 1]
 * @throws RangeError E_OPTIONS for a bad scale or image
 * @example
 * const baseline = bicubicUpscale(lr, 4);
 */
export function bicubicUpscale(image: MetricImage, scale: number): FloatImage {
  checkHwcImage(image, 'image');
  checkInteger(scale, 'scale', 1);
  const { width: w, height: h, channels: c, data } = image;
  const integer = data instanceof Uint8Array || data instanceof Uint8ClampedArray;
  const unit = integer ? 1 : 255;
  // MATLAB's uint8 path stores each pass as uint8.
  const store = (v: number): number => (integer ? Math.min(255, Math.max(0, Math.round(v))) : v);
  const oh = h * scale;
  const ow = w * scale;
  const ty = contributions(oh, h, scale);
  const tx = contributions(ow, w, scale);
  const cols = new Float64Array(oh * w * c);
  for (let j = 0; j < oh; j++) {
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let k = 0; k < 4; k++) acc += ty.weight[j * 4 + k]! * data[(ty.index[j * 4 + k]! * w + x) * c + ch]! * unit;
        cols[(j * w + x) * c + ch] = store(acc);
      }
    }
  }
  const out = new Float32Array(oh * ow * c);
  for (let j = 0; j < oh; j++) {
    for (let i = 0; i < ow; i++) {
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let k = 0; k < 4; k++) acc += tx.weight[i * 4 + k]! * cols[(j * w + tx.index[i * 4 + k]!) * c + ch]!;
        out[(j * ow + i) * c + ch] = store(acc) / 255;
      }
    }
  }
  return { width: ow, height: oh, channels: c, data: out };
}
