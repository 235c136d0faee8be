/**
 * @file Bicubic upsampling by an integer factor on plain float32 NHWC
 * batches: the starting point of SR by optimisation. Uses the same Keys
 * kernel (a = -0.5) and pixel-centre alignment as the degradation's
 * downsampling (src/data/bicubic.ts): output pixel i samples the input at
 * x = (i + 0.5) / f - 0.5, edges replicated.
 */
import { cubicKernel } from '../data/bicubic.js';
import type { PlainBatch } from '../data/sr-degradation.js';
import { optionRangeError } from '../errors.js';

function taps(outSize: number, inSize: number, factor: number): { index: Int32Array; weight: Float64Array } {
  const index = new Int32Array(outSize * 4);
  const weight = new Float64Array(outSize * 4);
  for (let i = 0; i < outSize; i++) {
    const x = (i + 0.5) / factor - 0.5;
    const base = Math.floor(x);
    for (let k = 0; k < 4; k++) {
      weight[i * 4 + k] = cubicKernel(x - (base - 1 + k));
      index[i * 4 + k] = Math.min(inSize - 1, Math.max(0, base - 1 + k));
    }
  }
  return { index, weight };
}

/**
 * Upsamples every image of `batch` by `factor` (separable: rows, then columns).
 * @param batch float32 NHWC in [0, 1]
 * @returns `N x fH x fW x C`, clamped to [0, 1] (bicubic overshoots at edges).
 * @throws RangeError E_OPTIONS for a factor that is not a positive integer.
 */
export function bicubicUpsample(batch: PlainBatch, factor: number): PlainBatch {
  if (!Number.isInteger(factor) || factor < 1) throw optionRangeError('factor', 'a positive integer', factor);
  const [n, h, w, c] = batch.shape;
  const oh = h * factor;
  const ow = w * factor;
  const tx = taps(ow, w, factor);
  const ty = taps(oh, h, factor);
  const out = new Float32Array(n * oh * ow * c);
  const rows = new Float64Array(h * ow * c);
  for (let b = 0; b < n; b++) {
    const src = batch.data.subarray(b * h * w * c, (b + 1) * h * w * c);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < ow; x++) {
        for (let ch = 0; ch < c; ch++) {
          let sum = 0;
          for (let k = 0; k < 4; k++) sum += tx.weight[x * 4 + k]! * src[(y * w + tx.index[x * 4 + k]!) * c + ch]!;
          rows[(y * ow + x) * c + ch] = sum;
        }
      }
    }
    const dst = b * oh * ow * c;
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        for (let ch = 0; ch < c; ch++) {
          let sum = 0;
          for (let k = 0; k < 4; k++) sum += ty.weight[y * 4 + k]! * rows[(ty.index[y * 4 + k]! * ow + x) * c + ch]!;
          out[dst + (y * ow + x) * c + ch] = Math.min(1, Math.max(0, sum));
        }
      }
    }
  }
  return { shape: [n, oh, ow, c], data: out };
}
