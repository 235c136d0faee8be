/**
 * @file Peak signal-to-noise ratio as super-resolution papers report it:
 * images quantised to 8 bits, `border` pixels cropped, on the BT.601 Y
 * channel (default) or on RGB (the MSE over all three channels), peak 255:
 *   PSNR = 10 log10(255^2 / MSE).
 * Identical images give MSE 0 and PSNR `Infinity` (not an error: a perfect
 * reconstruction, e.g. bicubic on a constant image).
 */
import type { MetricImage } from './metric-image.js';
import { type MetricOptions, metricPlanes } from './metric-options.js';

/** The peak value of 8-bit images. */
export const PSNR_PEAK = 255;

/**
 * Mean squared error between planes of equal length (pooled over all planes).
 * @param reference planes in 0..255
 * @param test planes of the same lengths
 */
export function meanSquaredError(reference: readonly Float64Array[], test: readonly Float64Array[]): number {
  let sum = 0;
  let count = 0;
  for (let p = 0; p < reference.length; p++) {
    const a = reference[p]!;
    const b = test[p]!;
    for (let i = 0; i < a.length; i++) {
      const d = a[i]! - b[i]!;
      sum += d * d;
    }
    count += a.length;
  }
  return sum / count;
}

/** PSNR in dB of a mean squared error, for the given peak (default 255); `Infinity` for MSE 0. */
export function psnrFromMse(mse: number, peak = PSNR_PEAK): number {
  return mse === 0 ? Infinity : 10 * Math.log10((peak * peak) / mse);
}

/**
 * PSNR in dB between a reference (ground truth) and a test image.
 * @param reference HWC image, 8-bit or float in [0, 1] (quantised to 8 bits first)
 * @param test the same size and channel count
 * @returns dB; `Infinity` when the compared planes are identical
 * @throws PerceptualError E_TENSOR_SHAPE for different sizes; RangeError E_OPTIONS for bad options
 * @example
 * psnr(hr, upscaled, { border: 4, channel: 'y' }); // e.g. 28.4
 */
export function psnr(reference: MetricImage, test: MetricImage, options: MetricOptions = {}): number {
  const planes = metricPlanes(reference, test, options, 'psnr');
  return psnrFromMse(meanSquaredError(planes.reference, planes.test));
}
