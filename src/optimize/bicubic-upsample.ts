/**
 * @file Bicubic upsampling of plain float32 NHWC batches: the starting point
 * of SR by optimisation. The kernel and alignment are the degradation's
 * (src/data/bicubic.ts), so upsampling inverts its sampling grid.
 */
import { bicubicUpsample as upsampleImage } from '../data/bicubic.js';
import type { PlainBatch } from '../data/sr-degradation.js';

/**
 * Upsamples every image of `batch` by `factor`.
 * @param batch float32 NHWC in [0, 1]
 * @returns `N x fH x fW x C`, clamped to [0, 1] (bicubic overshoots at edges).
 * @throws RangeError E_OPTIONS for a factor that is not a positive integer.
 */
export function bicubicUpsample(batch: PlainBatch, factor: number): PlainBatch {
  const [n, h, w, c] = batch.shape;
  const size = h * w * c;
  const images = Array.from({ length: n }, (_, b) => upsampleImage({ height: h, width: w, channels: c, data: batch.data.subarray(b * size, (b + 1) * size) }, factor));
  const out = new Float32Array(n * h * factor * w * factor * c);
  images.forEach((image, b) => out.set(image.data.map((v) => Math.min(1, Math.max(0, v))), b * image.data.length));
  return { shape: [n, h * factor, w * factor, c], data: out };
}
