/**
 * @file Options shared by `psnr` and `ssim`, and how both turn two images
 * into the planes they compare (quantise, crop, Y or each RGB channel).
 */
import { perceptualError } from '../errors.js';
import { checkOneOf } from '../validate.js';
import { channelPlane, cropBorder, type MetricImage, quantizeImage } from './metric-image.js';
import { lumaPlane } from './ycbcr.js';

/** Which planes a metric compares. */
export const METRIC_CHANNELS = Object.freeze({ y: 'y', rgb: 'rgb' } as const);
export type MetricChannel = keyof typeof METRIC_CHANNELS;

/** Options of `psnr` and `ssim`; every field is optional. */
export interface MetricOptions {
  /** Pixels removed from each side before measuring (SR papers: the scale factor). Default 0. */
  border?: number;
  /** `y` (BT.601 luma, default) or `rgb` (every channel). */
  channel?: MetricChannel;
  /** Round Y to integers like MATLAB `rgb2ycbcr` on uint8 (default false; see ycbcr.ts). */
  roundY?: boolean;
}

/** The planes of two equally sized images, in 0..255, after quantisation and crop. */
export interface MetricPlanes {
  readonly width: number;
  readonly height: number;
  readonly reference: Float64Array[];
  readonly test: Float64Array[];
}

/**
 * Quantises both images to 8 bits, crops `border`, and extracts the Y plane
 * or every channel plane.
 * @throws PerceptualError E_TENSOR_SHAPE when the sizes or channel counts differ;
 *   RangeError E_OPTIONS for a bad option.
 */
export function metricPlanes(reference: MetricImage, test: MetricImage, options: MetricOptions, op: string): MetricPlanes {
  const channel = checkOneOf(options.channel ?? 'y', 'options.channel', Object.keys(METRIC_CHANNELS) as MetricChannel[]);
  const a = quantizeImage(reference, 'reference');
  const b = quantizeImage(test, 'test');
  if (a.width !== b.width || a.height !== b.height || a.channels !== b.channels) {
    throw perceptualError(
      'E_TENSOR_SHAPE',
      `Arguments 'reference' and 'test' passed to '${op}' must have the same size, got ${a.width}x${a.height}x${a.channels} and ${b.width}x${b.height}x${b.channels} (width x height x channels). Crop or resize one to match.`,
    );
  }
  const border = options.border ?? 0;
  const ca = cropBorder(a, border);
  const cb = cropBorder(b, border);
  const planes = (image: typeof ca): Float64Array[] =>
    channel === 'y' ? [lumaPlane(image, { roundY: options.roundY })] : Array.from({ length: image.channels }, (_, c) => channelPlane(image, c));
  return { width: ca.width, height: ca.height, reference: planes(ca), test: planes(cb) };
}
