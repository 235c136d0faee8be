/**
 * @file Image files to and from `ImageBatch` tensors in Node, through sharp
 * (libvips: PNG, JPEG, WebP, AVIF, TIFF, GIF...). Decoding applies the EXIF
 * orientation, converts to sRGB, keeps 16-bit precision, turns grey into RGB
 * and composites alpha over white (see `imageToTensor`). Encoding clamps and
 * rounds (SPEC section 1).
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { loadSharp } from './sharp.js';
import { writeFileAtomic } from '../atomic-write.js';
import { optionRangeError, perceptualError, tensorShapeError } from '../errors.js';
import { firstLine } from '../first-line.js';
import type { RgbImage } from '../pixels.js';
import { checkInteger, checkOneOf } from '../validate.js';
import type { ImageBatch } from '../types.js';
import { checkImageHeader } from './image-header.js';
import { type ImageLimits, resolvedMaxPixels } from './image-limits.js';
import { imageToTensor, tensorToRgb } from './image-tensor.js';

export { DEFAULT_MAX_PIXELS, type ImageLimits } from './image-limits.js';


/** Formats `encodeImage` writes. */
export const IMAGE_FORMATS = Object.freeze({ png: 'png', jpeg: 'jpeg', webp: 'webp' } as const);
export type ImageFormat = keyof typeof IMAGE_FORMATS;

/** File extensions and the format each implies. */
export const IMAGE_EXTENSIONS: Readonly<Record<string, ImageFormat>> = Object.freeze({
  '.png': 'png',
  '.jpg': 'jpeg',
  '.jpeg': 'jpeg',
  '.webp': 'webp',
});

export interface EncodeImageOptions {
  /** Default `png` (or, for `writeImage`, the one the extension implies). */
  format?: ImageFormat;
  /** JPEG/WebP quality, an integer 1..100 (default 90). Ignored for PNG. */
  quality?: number;
}

/**
 * Decodes an encoded image to a float32 NHWC RGB batch of one in [0, 1]
 * (the first frame of an animation, with a warning through `limits.onWarning`).
 * @param bytes the file's contents.
 * @param source a name for messages (a path, `upload`); default `image`.
 * @returns [1, H, W, 3]; caller disposes.
 * @throws PerceptualError E_IMAGE_DECODE naming `source` when the bytes are not a readable image
 *   or have more pixels than `limits.maxPixels` (see checkImageHeader).
 * @example
 * const image = await decodeImage(await readFile('photo.jpg'), 'photo.jpg');
 */
export async function decodeImage(bytes: Uint8Array, source = 'image', limits: ImageLimits = {}): Promise<ImageBatch> {
  await checkImageHeader(bytes, source, limits);
  let raw: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    const input = (await loadSharp())(bytes, { autoOrient: true, failOn: 'error', limitInputPixels: resolvedMaxPixels(limits) });
    const { depth } = await input.metadata();
    // 16-bit sources (PNG, TIFF) keep their precision: rgb16 gives ushort samples.
    const wide = depth === 'ushort';
    raw = await input
      .toColourspace(wide ? 'rgb16' : 'srgb')
      .raw({ depth: wide ? 'ushort' : 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw perceptualError(
      'E_IMAGE_DECODE',
      `Cannot decode image '${source}': ${firstLine(error)}. Pass a PNG, JPEG, WebP, AVIF, TIFF or GIF file.`,
      error,
    );
  }
  const { data, info } = raw;
  const wide = data.length === info.width * info.height * info.channels * 2;
  const pixels = wide
    ? new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength))
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return imageToTensor(pixels, info.width, info.height, info.channels);
}

/**
 * Decodes an encoded image straight to 8-bit sRGB RGB, with the conventions
 * of `decodeImage` (EXIF orientation, grey to RGB, alpha over white) and of
 * the service's codec (src/serve/image-codec.node.ts), plus `limits`: what the
 * image commands hand to the inference pool.
 * @throws PerceptualError E_IMAGE_DECODE as decodeImage
 */
export async function decodeRgbImage(bytes: Uint8Array, source = 'image', limits: ImageLimits = {}): Promise<RgbImage> {
  await checkImageHeader(bytes, source, limits);
  try {
    return await decodeToRgb(bytes, resolvedMaxPixels(limits));
  } catch (error) {
    throw perceptualError('E_IMAGE_DECODE', `Cannot decode image '${source}': ${firstLine(error)}. Pass a PNG, JPEG, WebP, AVIF, TIFF or GIF file.`, error);
  }
}

/**
 * The one sharp pipeline from encoded bytes to 8-bit sRGB RGB (EXIF
 * orientation, alpha over white); callers word its errors for their users.
 * @param maxPixels sharp's `limitInputPixels` (false: none)
 * @throws sharp's error for bytes it cannot decode
 */
export async function decodeToRgb(bytes: Uint8Array, maxPixels: number | false = false): Promise<RgbImage> {
  const { data, info } = await (await loadSharp())(bytes, { autoOrient: true, failOn: 'error', limitInputPixels: maxPixels })
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .removeAlpha()
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

/**
 * Reads and decodes an image file (see `decodeImage`).
 * @returns float32 [1, H, W, 3] in [0, 1]; caller disposes.
 * @throws PerceptualError E_IO when the file cannot be read, E_IMAGE_DECODE when it is not an image or is over the pixel limit.
 */
export async function readImage(path: string, limits: ImageLimits = {}): Promise<ImageBatch> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw perceptualError('E_IO', `Cannot read image file '${path}': ${firstLine(error)}. Check the path.`, error);
  }
  return decodeImage(bytes, path, limits);
}

/**
 * Encodes a batch of one image (clamped to [0, 1], rounded to 8 bits).
 * Does not dispose `image`.
 * @param image float32 [1, H, W, 3].
 * @returns the encoded file's bytes.
 * @throws PerceptualError E_TENSOR_SHAPE for another shape; RangeError E_OPTIONS for a bad format or quality.
 * @example
 * await writeFile('out.png', await encodeImage(image, { format: 'png' }));
 */
export async function encodeImage(image: ImageBatch, options: EncodeImageOptions = {}): Promise<Uint8Array> {
  const format = checkOneOf(options.format ?? 'png', 'options.format', Object.keys(IMAGE_FORMATS) as ImageFormat[]);
  const quality = checkInteger(options.quality ?? 90, 'options.quality', 1, 100);
  if (image.rank !== 4 || image.shape[0] !== 1 || image.shape[3] !== 3) {
    throw tensorShapeError('image', 'encodeImage', 'rank 4 NHWC with batch 1 and 3 channels', image.shape);
  }
  const rgb = await tensorToRgb(image);
  const pipeline = (await loadSharp())(rgb.data, { raw: { width: rgb.width, height: rgb.height, channels: 3 } });
  const encoded =
    format === 'png'
      ? pipeline.png({ compressionLevel: 9 })
      : format === 'jpeg'
        ? pipeline.jpeg({ quality, chromaSubsampling: quality >= 90 ? '4:4:4' : '4:2:0' })
        : pipeline.webp({ quality });
  const buffer = await encoded.toBuffer();
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/**
 * The format a path's extension implies.
 * @throws RangeError E_OPTIONS for an extension `encodeImage` cannot write.
 */
export function formatForPath(path: string): ImageFormat {
  const format = IMAGE_EXTENSIONS[extname(path).toLowerCase()];
  if (format === undefined) {
    throw optionRangeError(
      `the extension of '${path}'`,
      `one of ${Object.keys(IMAGE_EXTENSIONS).join(', ')} (or pass a format)`,
      extname(path),
    );
  }
  return format;
}

/**
 * Encodes `image` and writes it atomically (temporary file, then rename).
 * The format is `options.format` if given, else the one the extension implies.
 * Does not dispose `image`.
 * @throws RangeError E_OPTIONS for an unknown extension; PerceptualError E_IO when writing fails.
 */
export async function writeImage(path: string, image: ImageBatch, options: EncodeImageOptions = {}): Promise<void> {
  const format = options.format ?? formatForPath(path);
  const bytes = await encodeImage(image, { ...options, format });
  try {
    await writeFileAtomic(path, bytes);
  } catch (error) {
    throw perceptualError('E_IO', `Cannot write image file '${path}': ${firstLine(error)}. Check that the folder is writable.`, error);
  }
}
