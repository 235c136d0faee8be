/**
 * @file The pixel buffers every folder passes around, their checks, and the
 * RGBA/RGB conversions:
 * - `RgbImage`: 8-bit interleaved RGB, what inference, the pools, the codecs
 *   and the CLI work on;
 * - `RgbaImage`: 8-bit interleaved RGBA with straight alpha, what the web
 *   platform holds (`ImageData` is one);
 * - `HwcImage`: interleaved samples with their channel count, float32 in
 *   [0, 1] (`FloatImage`: SR degradation, bicubic, evaluation) or 8-bit
 *   (what the metrics quantise to).
 * Tensors are `ImageBatch` (src/types.ts). Plain TypeScript with no tfjs and
 * no Node API, so browsers and edge runtimes use it too.
 */
import { optionRangeError, optionTypeError } from './errors.js';
import { checkInteger, isByteArray, plainObject } from './validate.js';

/** 8-bit RGB: `width * height * 3` bytes, row-major, interleaved. */
export interface RgbImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** 8-bit RGBA: `width * height * 4` bytes, row-major, straight (not premultiplied) alpha. */
export interface RgbaImage {
  readonly data: Uint8Array | Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
}

/** What an HwcImage may hold: 8-bit values (0..255) or floats ([0, 1]). */
export type SampleArray = Uint8Array | Uint8ClampedArray | Float32Array | Float64Array;

/** `width * height * channels` samples, row-major, interleaved (HWC without a batch axis). */
export interface HwcImage<Data extends SampleArray = SampleArray> {
  readonly data: Data;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
}

/** A float32 image in [0, 1]. */
export type FloatImage = HwcImage<Float32Array>;

/** How one kind of pixel buffer is laid out, for checkPixels. */
export interface PixelLayout {
  /** The channel counts it may have; `channels` reads it from the image's own `channels` field. */
  readonly channels: readonly number[] | 'channels';
  readonly isData: (data: unknown) => boolean;
  /** What `data` must be, for the message. */
  readonly data: string;
  /** What the image must be, for the message. */
  readonly image: string;
}

const RGB_LAYOUT: PixelLayout = { channels: [3], isData: (data) => data instanceof Uint8Array, data: 'a Uint8Array of RGB bytes', image: 'an object { data, width, height } of RGB bytes' };
const RGBA_LAYOUT: PixelLayout = { channels: [4], isData: isByteArray, data: 'a Uint8ClampedArray or Uint8Array of RGBA bytes', image: 'an ImageData or { data, width, height } RGBA object' };
const HWC_LAYOUT: PixelLayout = {
  channels: 'channels',
  isData: (data) => data instanceof Uint8Array || data instanceof Uint8ClampedArray || data instanceof Float32Array || data instanceof Float64Array,
  data: 'a Uint8Array, Uint8ClampedArray, Float32Array or Float64Array',
  image: 'an object { data, width, height, channels }',
};

/**
 * Checks that `image` is an object with positive-integer `width` and `height`
 * whose `data` fits `layout` and holds `width * height * channels` values.
 * @param path the parameter's name in messages (`image`, `options.content`); '' for bare field names
 * @returns the channel count the data length matched
 * @throws TypeError / RangeError E_OPTIONS naming the field
 */
export function checkPixels(image: unknown, path: string, layout: PixelLayout): number {
  const at = (field: string): string => (path === '' ? field : `${path}.${field}`);
  const fields = plainObject(image, path, layout.image);
  const width = checkInteger(fields.width, at('width'), 1);
  const height = checkInteger(fields.height, at('height'), 1);
  const counts = layout.channels === 'channels' ? [checkInteger(fields.channels, at('channels'), 1)] : layout.channels;
  const data = fields.data as { length: number } | undefined;
  if (!layout.isData(data)) throw optionTypeError(at('data'), layout.data, data);
  const channels = counts.find((c) => data!.length === width * height * c);
  if (channels === undefined) {
    const factor = (c: number): string => (layout.channels === 'channels' ? 'channels' : String(c));
    const rule = counts.map((c) => `width * height * ${factor(c)} = ${width * height * c}`).join(' or ');
    throw optionRangeError(at('data.length'), rule, data!.length);
  }
  return channels;
}

/** @throws TypeError / RangeError E_OPTIONS naming `path` unless `image` is a well-formed RgbImage */
export function checkRgbImage(image: RgbImage, path = 'image'): void {
  checkPixels(image, path, RGB_LAYOUT);
}

/** @throws TypeError / RangeError E_OPTIONS naming `path` unless `image` is a well-formed HwcImage */
export function checkHwcImage(image: HwcImage, path = 'image'): void {
  checkPixels(image, path, HWC_LAYOUT);
}

/**
 * Drops alpha, compositing translucent pixels over white as imageToTensor
 * and the decoders do (`v a + 255 (1 - a)`, rounded to nearest: the exact
 * value is never a tie, so any float order gives the same byte); opaque
 * pixels are copied exactly.
 * @throws TypeError / RangeError E_OPTIONS naming `path` for a malformed image
 */
export function rgbaToRgb(image: RgbaImage, path = 'image'): RgbImage {
  checkPixels(image, path, RGBA_LAYOUT);
  const pixels = image.width * image.height;
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
export function rgbToRgba(image: RgbImage): RgbaImage & { readonly data: Uint8ClampedArray } {
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
