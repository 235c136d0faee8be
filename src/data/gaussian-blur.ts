/**
 * @file Separable Gaussian blur on plain float32 HWC images, used to degrade
 * high-resolution patches before bicubic downsampling (SPEC section 4:
 * "Gaussian blur with sigma 1.0 of the high-resolution patch").
 *
 * Kernel: taps k = -r..r with r = ceil(3 sigma) (3 taps either side for
 * sigma 1, so the truncated mass is below 0.3%), weights
 * exp(-k^2 / (2 sigma^2)) normalised to sum to 1. Edges are replicated
 * (clamped indices), so a constant image stays exactly constant.
 */
import type { FloatImage } from '../pixels.js';
import { checkInteger, positiveNumber } from '../validate.js';

/** The radius used for `sigma`: ceil(3 sigma). */
export function gaussianRadius(sigma: number): number {
  return Math.ceil(3 * sigma);
}

/**
 * The normalised 1-D Gaussian kernel of length 2r + 1.
 * @param sigma standard deviation in pixels (> 0)
 * @param radius defaults to ceil(3 sigma)
 * @throws RangeError E_OPTIONS for sigma <= 0 or a negative radius
 */
export function gaussianKernel1d(sigma: number, radius = gaussianRadius(sigma)): Float32Array {
  positiveNumber(sigma, 'sigma', 'a positive finite number');
  checkInteger(radius, 'radius', 0);
  const weights = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let k = -radius; k <= radius; k++) {
    const w = Math.exp(-(k * k) / (2 * sigma * sigma));
    weights[k + radius] = w;
    sum += w;
  }
  return Float32Array.from(weights, (w) => w / sum);
}

/**
 * Blurs an HWC image with a separable Gaussian (edges replicated).
 * @returns a new image of the same size
 */
export function gaussianBlur(image: FloatImage, sigma: number): FloatImage {
  const kernel = gaussianKernel1d(sigma);
  const r = (kernel.length - 1) / 2;
  const { height: h, width: w, channels: c, data } = image;
  const horizontal = new Float32Array(data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let k = -r; k <= r; k++) {
          const xx = Math.min(w - 1, Math.max(0, x + k));
          acc += kernel[k + r]! * data[(y * w + xx) * c + ch]!;
        }
        horizontal[(y * w + x) * c + ch] = acc;
      }
    }
  }
  const out = new Float32Array(data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < c; ch++) {
        let acc = 0;
        for (let k = -r; k <= r; k++) {
          const yy = Math.min(h - 1, Math.max(0, y + k));
          acc += kernel[k + r]! * horizontal[(yy * w + x) * c + ch]!;
        }
        out[(y * w + x) * c + ch] = acc;
      }
    }
  }
  return { height: h, width: w, channels: c, data: out };
}
