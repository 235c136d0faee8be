/**
 * @file Image quality metrics as super-resolution papers report them: PSNR
 * and SSIM on the BT.601 Y channel or RGB, 8-bit quantised, border-cropped,
 * plus the MATLAB-style bicubic upscaling baseline. Plain TypeScript on typed
 * arrays: no tfjs, no Node APIs (usable in browsers).
 */
export type { FloatImage } from '../pixels.js';
export { bicubicUpscale } from './bicubic-upscale.js';
export { type ImageQuality, imageQuality } from './image-quality.js';
export { channelPlane, cropBorder, type MetricImage, quantizeImage, type Uint8Image } from './metric-image.js';
export { METRIC_CHANNELS, type MetricChannel, type MetricOptions, type MetricPlanes, metricPlanes } from './metric-options.js';
export { meanSquaredError, psnr, psnrFromMse, PSNR_PEAK } from './psnr.js';
export { gaussianWindow1d, ssim, ssimMap, SSIM_CONSTANTS } from './ssim.js';
export { BT601_Y, type LumaOptions, lumaPlane } from './ycbcr.js';
