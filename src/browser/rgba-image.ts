/**
 * @file Conversions between the RGBA pixels of the web platform (`ImageData`,
 * canvases, `ImageBitmap`) and the 8-bit RGB images src/infer works on.
 */
import { optionRangeError, optionTypeError } from '../errors.js';
import type { RgbImage } from '../infer/rgb-image.js';

/** What `ImageData` looks like; edge runtimes without `ImageData` can pass a plain object. */
export interface RgbaPixels {
  /** `width * height * 4` bytes, row-major RGBA, straight (not premultiplied) alpha. */
  readonly data: Uint8ClampedArray | Uint8Array;
  readonly width: number;
  readonly height: number;
}

/**
 * Drops alpha, compositing translucent pixels over white as imageToTensor
 * does (`v a + 255 (1 - a)`, rounded to nearest); opaque pixels are copied
 * exactly.
 * @throws TypeError / RangeError E_OPTIONS naming `path` for a malformed image
 */
export function rgbaToRgb(image: RgbaPixels, path = 'image'): RgbImage {
  if (image === null || typeof image !== 'object') throw optionTypeError(path, 'an ImageData or { data, width, height } RGBA object', image);
  if (!(image.data instanceof Uint8ClampedArray || image.data instanceof Uint8Array)) {
    throw optionTypeError(`${path}.data`, 'a Uint8ClampedArray or Uint8Array of RGBA bytes', image.data);
  }
  for (const axis of ['width', 'height'] as const) {
    if (!Number.isInteger(image[axis]) || image[axis] < 1) throw optionRangeError(`${path}.${axis}`, 'a positive integer', image[axis]);
  }
  const pixels = image.width * image.height;
  if (image.data.length !== pixels * 4) throw optionRangeError(`${path}.data.length`, `width * height * 4 = ${pixels * 4}`, image.data.length);
  const src = image.data;
  const out = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p += 1) {
    const a = src[p * 4 + 3]!;
    for (let c = 0; c < 3; c += 1) {
      const v = src[p * 4 + c]!;
      out[p * 3 + c] = a === 255 ? v : Math.round((v * a) / 255 + (255 - a));
    }
  }
  return { data: out, width: image.width, height: image.height };
}

/**
 * Adds an opaque alpha channel.
 * @returns RGBA bytes in a fresh Uint8ClampedArray (ready for `new ImageData(data, width, height)`)
 */
export function rgbToRgba(image: RgbImage): { data: Uint8ClampedArray; width: number; height: number } {
  const pixels = image.width * image.height;
  const out = new Uint8ClampedArray(pixels * 4);
  for (let p = 0; p < pixels; p += 1) {
    out[p * 4] = image.data[p * 3]!;
    out[p * 4 + 1] = image.data[p * 3 + 1]!;
    out[p * 4 + 2] = image.data[p * 3 + 2]!;
    out[p * 4 + 3] = 255;
  }
  return { data: out, width: image.width, height: image.height };
}
