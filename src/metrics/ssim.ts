/**
 * @file Structural similarity (Wang, Bovik, Sheikh, Simoncelli 2004), as in
 * the authors' reference `ssim_index.m` and SR papers:
 * - planes in 0..255 (8-bit quantised; Y of BT.601 by default), L = 255,
 *   C1 = (0.01 L)^2, C2 = (0.03 L)^2;
 * - local statistics under an 11x11 Gaussian window, sigma 1.5, normalised
 *   to sum 1 (MATLAB `fspecial('gaussian', 11, 1.5)`), 'valid' filtering
 *   only (no padding: the map is (H - 10) x (W - 10));
 * - no automatic downsampling (the later `ssim.m` shrinks large images; SR
 *   papers do not);
 * - SSIM = mean of the map; for RGB, the mean over channels of each one's SSIM.
 * The window is separable, so statistics take two 1-D passes (O(11) per pixel).
 */
import { optionRangeError } from '../errors.js';
import type { MetricImage } from './metric-image.js';
import { type MetricOptions, metricPlanes } from './metric-options.js';

/** The SSIM constants of Wang et al. 2004. */
export const SSIM_CONSTANTS = Object.freeze({ windowSize: 11, sigma: 1.5, k1: 0.01, k2: 0.03, dynamicRange: 255 } as const);

/** The normalised 1-D Gaussian of `size` taps (odd) and `sigma`; its outer product is the 2-D window. */
export function gaussianWindow1d(size: number = SSIM_CONSTANTS.windowSize, sigma: number = SSIM_CONSTANTS.sigma): Float64Array {
  const r = (size - 1) / 2;
  const w = new Float64Array(size);
  let sum = 0;
  for (let k = 0; k < size; k++) {
    w[k] = Math.exp(-((k - r) ** 2) / (2 * sigma * sigma));
    sum += w[k]!;
  }
  for (let k = 0; k < size; k++) w[k] = w[k]! / sum;
  return w;
}

/** 'valid' separable filtering of a plane: (H - n + 1) x (W - n + 1). */
function filterValid(plane: Float64Array, width: number, height: number, w: Float64Array): Float64Array {
  const n = w.length;
  const ow = width - n + 1;
  const oh = height - n + 1;
  const rows = new Float64Array(height * ow);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < ow; x++) {
      let acc = 0;
      for (let k = 0; k < n; k++) acc += w[k]! * plane[y * width + x + k]!;
      rows[y * ow + x] = acc;
    }
  }
  const out = new Float64Array(oh * ow);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let acc = 0;
      for (let k = 0; k < n; k++) acc += w[k]! * rows[(y + k) * ow + x]!;
      out[y * ow + x] = acc;
    }
  }
  return out;
}

/**
 * The SSIM map of two planes in 0..255 (Wang et al. 2004, 'valid' region).
 * @returns (height - 10) x (width - 10) values, row-major
 * @throws RangeError E_OPTIONS when a plane is smaller than the 11x11 window
 */
export function ssimMap(reference: Float64Array, test: Float64Array, width: number, height: number): Float64Array {
  const { windowSize, k1, k2, dynamicRange: l } = SSIM_CONSTANTS;
  if (width < windowSize || height < windowSize) {
    throw optionRangeError('image size after the border crop', `at least ${windowSize}x${windowSize} for SSIM's window; use larger images or a smaller border`, `${width}x${height}`);
  }
  const c1 = (k1 * l) ** 2;
  const c2 = (k2 * l) ** 2;
  const w = gaussianWindow1d();
  const n = width * height;
  const xx = new Float64Array(n);
  const yy = new Float64Array(n);
  const xy = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = reference[i]!;
    const b = test[i]!;
    xx[i] = a * a;
    yy[i] = b * b;
    xy[i] = a * b;
  }
  const mx = filterValid(reference, width, height, w);
  const my = filterValid(test, width, height, w);
  const sxx = filterValid(xx, width, height, w);
  const syy = filterValid(yy, width, height, w);
  const sxy = filterValid(xy, width, height, w);
  const map = new Float64Array(mx.length);
  for (let i = 0; i < map.length; i++) {
    const mux = mx[i]!;
    const muy = my[i]!;
    // Variances as E[x^2] - mu^2, exactly as ssim_index.m computes them.
    const vx = sxx[i]! - mux * mux;
    const vy = syy[i]! - muy * muy;
    const cov = sxy[i]! - mux * muy;
    map[i] = ((2 * mux * muy + c1) * (2 * cov + c2)) / ((mux * mux + muy * muy + c1) * (vx + vy + c2));
  }
  return map;
}

/**
 * Mean SSIM between a reference (ground truth) and a test image.
 * @param reference HWC image, 8-bit or float in [0, 1] (quantised to 8 bits first)
 * @param test the same size and channel count
 * @returns in [-1, 1]; 1 for identical images
 * @throws PerceptualError E_TENSOR_SHAPE for different sizes; RangeError E_OPTIONS for bad
 *   options or images smaller than 11x11 after the crop
 * @example
 * ssim(hr, upscaled, { border: 4 }); // Y channel, e.g. 0.81
 */
export function ssim(reference: MetricImage, test: MetricImage, options: MetricOptions = {}): number {
  const planes = metricPlanes(reference, test, options, 'ssim');
  let total = 0;
  for (let p = 0; p < planes.reference.length; p++) {
    const map = ssimMap(planes.reference[p]!, planes.test[p]!, planes.width, planes.height);
    let sum = 0;
    for (let i = 0; i < map.length; i++) sum += map[i]!;
    total += sum / map.length;
  }
  return total / planes.reference.length;
}
