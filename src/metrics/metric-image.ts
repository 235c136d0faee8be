/**
 * @file The image type the metrics take, and the two steps every metric
 * starts with: 8-bit quantisation and the border crop. Plain TypeScript on
 * typed arrays (no tfjs, no Node APIs), so it runs in browsers too.
 *
 * Convention (what super-resolution papers do): images are compared as
 * 8-bit values. A float image (values in [0, 1], SPEC section 1) is clamped,
 * scaled by 255 and rounded to nearest, exactly as an encoder writes it; an
 * integer image already holds 0..255.
 */
import { optionRangeError } from '../errors.js';
import { checkHwcImage, type HwcImage } from '../pixels.js';
import { checkInteger } from '../validate.js';

/**
 * What the metrics take (src/pixels.ts): `Uint8Array`/`Uint8ClampedArray`
 * data hold 0..255; `Float32Array`/`Float64Array` data hold [0, 1].
 */
export type MetricImage = HwcImage;

/** An 8-bit image (the quantised form every metric works on). */
export type Uint8Image = HwcImage<Uint8Array>;

/**
 * The 8-bit form of `image`: integer data is copied, float data in [0, 1] is
 * clamped, scaled by 255 and rounded to nearest (NaN becomes 0), as encoders do.
 * @throws TypeError / RangeError E_OPTIONS naming `name` for a malformed image
 */
export function quantizeImage(image: MetricImage, name = 'image'): Uint8Image {
  checkHwcImage(image, name);
  const { data } = image;
  const out = new Uint8Array(data.length);
  if (data instanceof Uint8Array || data instanceof Uint8ClampedArray) out.set(data);
  else {
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      out[i] = v > 0 ? (v < 1 ? Math.round(v * 255) : 255) : 0;
    }
  }
  return { width: image.width, height: image.height, channels: image.channels, data: out };
}

/**
 * Removes `border` pixels from each side (SR papers crop `scale` pixels,
 * where the upscaler sees no context). `border` 0 returns the same data.
 * @throws RangeError E_OPTIONS for a negative or non-integer border, or one
 *   that leaves no pixel.
 */
export function cropBorder<T extends MetricImage>(image: T, border: number): T {
  checkInteger(border, 'options.border', 0);
  if (border === 0) return image;
  const width = image.width - 2 * border;
  const height = image.height - 2 * border;
  if (width < 1 || height < 1) {
    throw optionRangeError('options.border', `smaller than half the image size (${image.width}x${image.height}); crop less`, border);
  }
  const c = image.channels;
  const Ctor = image.data.constructor as new (n: number) => T['data'];
  const data = new Ctor(width * height * c);
  for (let y = 0; y < height; y++) {
    const start = ((y + border) * image.width + border) * c;
    data.set(image.data.subarray(start, start + width * c), y * width * c);
  }
  return { ...image, width, height, data };
}

/**
 * Channel `c` of an 8-bit image as a float64 plane in 0..255.
 * @throws RangeError E_OPTIONS for a channel index out of range.
 */
export function channelPlane(image: Uint8Image, c: number): Float64Array {
  checkInteger(c, 'channel', 0, image.channels - 1, `an integer in 0..${image.channels - 1}`);
  const n = image.width * image.height;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = image.data[i * image.channels + c]!;
  return out;
}
