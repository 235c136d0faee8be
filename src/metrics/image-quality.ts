/**
 * @file The four numbers an SR evaluation reports for one image pair:
 * PSNR and SSIM on the BT.601 Y channel and on RGB, all after 8-bit
 * quantisation and the same border crop (see psnr.ts, ssim.ts, ycbcr.ts).
 */
import type { MetricImage } from './metric-image.js';
import { psnr } from './psnr.js';
import { ssim } from './ssim.js';

/** PSNR (dB) and SSIM of one test image against its reference. */
export interface ImageQuality {
  readonly psnrY: number;
  readonly ssimY: number;
  readonly psnrRgb: number;
  readonly ssimRgb: number;
}

/**
 * All four metrics with one border crop (SR papers: `border = scale`).
 * @throws as psnr / ssim
 * @example
 * const { psnrY, ssimY } = imageQuality(hr, sr, { border: 4 });
 */
export function imageQuality(reference: MetricImage, test: MetricImage, options: { border?: number; roundY?: boolean } = {}): ImageQuality {
  const y = { ...options, channel: 'y' as const };
  const rgb = { border: options.border, channel: 'rgb' as const };
  return { psnrY: psnr(reference, test, y), ssimY: ssim(reference, test, y), psnrRgb: psnr(reference, test, rgb), ssimRgb: ssim(reference, test, rgb) };
}
