/**
 * @file The luma Y of ITU-R BT.601 as super-resolution papers compute it
 * (MATLAB `rgb2ycbcr`): with R, G, B in [0, 1],
 *   Y = 16 + 65.481 R + 128.553 G + 24.966 B,
 * so black is 16 and white is 235 (studio swing, 8-bit scale).
 *
 * Input is first quantised to 8 bits (metric-image.ts). Y itself is NOT
 * rounded by default: this matches MATLAB's `rgb2ycbcr(im2double(im))` and
 * BasicSR; MATLAB's `rgb2ycbcr(uint8)` rounds Y to an integer, which
 * `roundY: true` reproduces (it moves PSNR by about 0.01-0.05 dB).
 */
import { optionRangeError } from '../errors.js';
import { type MetricImage, quantizeImage, type Uint8Image } from './metric-image.js';

/** BT.601 luma: offset and weights of R, G, B in [0, 1] (MATLAB rgb2ycbcr). */
export const BT601_Y = Object.freeze({ offset: 16, r: 65.481, g: 128.553, b: 24.966 } as const);

/** Options of `lumaPlane`. */
export interface LumaOptions {
  /** Round Y to an integer, as MATLAB `rgb2ycbcr` on uint8 images does (default false). */
  roundY?: boolean;
}

/**
 * BT.601 luma of an RGB image, as a float64 plane in [16, 235].
 * @param image 3-channel RGB (8-bit, or float in [0, 1], quantised first)
 * @returns width * height values, row-major
 * @throws RangeError E_OPTIONS when the image does not have 3 channels
 * @example
 * lumaPlane({ width: 1, height: 1, channels: 3, data: new Uint8Array([255, 255, 255]) }); // [235]
 */
export function lumaPlane(image: MetricImage | Uint8Image, options: LumaOptions = {}): Float64Array {
  if (image.channels !== 3) throw optionRangeError('image.channels', '3 (RGB) for the Y channel; use channel "rgb" for other images', image.channels);
  const q = quantizeImage(image).data;
  const n = image.width * image.height;
  const out = new Float64Array(n);
  const { offset, r, g, b } = BT601_Y;
  for (let i = 0; i < n; i++) {
    const y = offset + (r * q[3 * i]! + g * q[3 * i + 1]! + b * q[3 * i + 2]!) / 255;
    out[i] = options.roundY === true ? Math.round(y) : y;
  }
  return out;
}
