/**
 * @file An image codec in plain JavaScript, for runtimes without sharp
 * (Cloudflare workerd, Deno, browsers): reads PNG (fast-png) and JPEG
 * (jpeg-js) and writes PNG. It follows sharpCodec's decoding conventions:
 * EXIF orientation applied (image-size reads the tag along with the
 * header), grey copied to RGB, alpha composited over white, 16-bit samples
 * scaled to 8. WebP input and JPEG/WebP output need native or WASM codecs
 * that these runtimes lack, so they are refused with a message saying what
 * this codec takes. No `node:` import and no `Buffer`.
 */
import { imageSize } from 'image-size';
import { decode as decodeJpeg } from 'jpeg-js';
import { convertIndexedToRgb, decode as decodePng, type DecodedPng, encode as encodePng } from 'fast-png';
import { optionRangeError, perceptualError } from '../errors.js';
import { firstLine } from '../first-line.js';
import type { RgbImage } from '../pixels.js';
import { unsupportedTypeError } from './http-errors.js';
import type { CodecFormat, ImageCodec, ImageProbe } from './image-codec.js';

/** The formats this codec reads and writes. */
export const PORTABLE_CODEC_FORMATS = Object.freeze({ read: ['png', 'jpeg'] as const, write: ['png'] as const });

/** image-size's type names where they differ from the service's format names. */
const FORMAT_NAMES: Readonly<Record<string, string>> = Object.freeze({ jpg: 'jpeg' });

/**
 * The codec. `probe` reads only the header; `decode` refuses formats other
 * than PNG and JPEG with E_UNSUPPORTED_TYPE (415), `encode` formats other
 * than PNG with E_OPTIONS (400).
 * @example createService({ models, codec: portableImageCodec })
 */
export const portableImageCodec: ImageCodec = Object.freeze({
  async probe(bytes: Uint8Array): Promise<ImageProbe> {
    const header = readHeader(bytes);
    return { format: header.format, width: header.width, height: header.height };
  },

  async decode(bytes: Uint8Array): Promise<RgbImage> {
    const header = readHeader(bytes);
    if (header.format !== 'png' && header.format !== 'jpeg') {
      throw unsupportedTypeError(`image/${header.format} (this runtime's codec reads PNG and JPEG only)`, ['image/png', 'image/jpeg']);
    }
    let image: RgbImage;
    try {
      image = header.format === 'png' ? pngToRgb(decodePng(bytes)) : jpegToRgb(bytes);
    } catch (error) {
      throw decodeError(error);
    }
    return orient(image, header.orientation);
  },

  async encode(image: RgbImage, options: { format: CodecFormat; quality: number }): Promise<Uint8Array> {
    if (options.format !== 'png') {
      throw optionRangeError('query.format', "png (this runtime's codec writes PNG only)", options.format);
    }
    return encodePng({ width: image.width, height: image.height, data: image.data, channels: 3, depth: 8 });
  },
});

/** The header: format, stored size and EXIF orientation (1 when absent). */
function readHeader(bytes: Uint8Array): { format: string; width: number; height: number; orientation: number } {
  let size: ReturnType<typeof imageSize>;
  try {
    size = imageSize(bytes);
  } catch (error) {
    throw decodeError(error);
  }
  const format = FORMAT_NAMES[size.type ?? ''] ?? size.type ?? 'unknown';
  const orientation = size.orientation !== undefined && size.orientation >= 1 && size.orientation <= 8 ? size.orientation : 1;
  // The probe reports the displayed size, as sharp's autoOrient'ed decode returns it.
  const swapped = orientation >= 5;
  return { format, width: swapped ? size.height : size.width, height: swapped ? size.width : size.height, orientation };
}

function decodeError(error: unknown): Error {
  return perceptualError('E_IMAGE_DECODE', `Cannot decode the request body as an image: ${firstLine(error)}. Send a PNG or JPEG file as the body.`, error);
}

/** Any decoded PNG (grey, grey+alpha, RGB, RGBA, palette; 1 to 16 bits) as 8-bit RGB over white. */
function pngToRgb(png: DecodedPng): RgbImage {
  const { width, height } = png;
  if (png.palette !== undefined) {
    const data = convertIndexedToRgb(png);
    return flatten(data, width, height, data.length / (width * height));
  }
  const channels = png.channels;
  const samples = width * height * channels;
  const max = 2 ** png.depth - 1;
  const eight = new Uint8Array(samples);
  if (png.depth < 8) {
    // Rows of packed samples start on byte boundaries.
    const rowBytes = Math.ceil((width * channels * png.depth) / 8);
    for (let y = 0; y < height; y += 1) {
      for (let i = 0; i < width * channels; i += 1) {
        const bit = i * png.depth;
        const value = (png.data[y * rowBytes + (bit >> 3)]! >> (8 - png.depth - (bit & 7))) & max;
        eight[y * width * channels + i] = Math.round((value * 255) / max);
      }
    }
  } else {
    for (let i = 0; i < samples; i += 1) eight[i] = png.depth === 16 ? Math.round(png.data[i]! / 257) : png.data[i]!;
  }
  // A tRNS chunk on grey or RGB names one colour that is fully transparent.
  const key = png.transparency;
  if (key !== undefined && (channels === 1 || channels === 3) && key.length === channels) {
    const withAlpha = new Uint8Array(width * height * (channels + 1));
    for (let p = 0; p < width * height; p += 1) {
      let transparent = true;
      for (let c = 0; c < channels; c += 1) {
        const raw = png.depth < 8 ? Math.round((eight[p * channels + c]! * max) / 255) : png.data[p * channels + c]!;
        if (raw !== key[c]) transparent = false;
        withAlpha[p * (channels + 1) + c] = eight[p * channels + c]!;
      }
      withAlpha[p * (channels + 1) + channels] = transparent ? 0 : 255;
    }
    return flatten(withAlpha, width, height, channels + 1);
  }
  return flatten(eight, width, height, channels);
}

function jpegToRgb(bytes: Uint8Array): RgbImage {
  // useTArray: jpeg-js otherwise allocates a Node Buffer, which edge runtimes lack.
  const jpeg = decodeJpeg(bytes, { useTArray: true, formatAsRGBA: false });
  return { data: jpeg.data, width: jpeg.width, height: jpeg.height };
}

/** 1 to 4 interleaved 8-bit channels as RGB, alpha composited over white. */
function flatten(data: Uint8Array, width: number, height: number, channels: number): RgbImage {
  if (channels === 3) return { data, width, height };
  const rgb = new Uint8Array(width * height * 3);
  const hasAlpha = channels === 2 || channels === 4;
  const colours = hasAlpha ? channels - 1 : channels;
  for (let p = 0; p < width * height; p += 1) {
    const alpha = hasAlpha ? data[p * channels + colours]! : 255;
    for (let c = 0; c < 3; c += 1) {
      const value = data[p * channels + (colours === 1 ? 0 : c)]!;
      rgb[p * 3 + c] = alpha === 255 ? value : Math.round((value * alpha + 255 * (255 - alpha)) / 255);
    }
  }
  return { data: rgb, width, height };
}

/**
 * `image` as displayed under EXIF orientation `orientation` (1..8): for each
 * output pixel, the stored pixel it shows.
 */
function orient(image: RgbImage, orientation: number): RgbImage {
  if (orientation === 1) return image;
  const { width: w, height: h, data } = image;
  const swapped = orientation >= 5;
  const outWidth = swapped ? h : w;
  const outHeight = swapped ? w : h;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < outHeight; y += 1) {
    for (let x = 0; x < outWidth; x += 1) {
      let sx: number;
      let sy: number;
      switch (orientation) {
        case 2: [sx, sy] = [w - 1 - x, y]; break; // mirrored
        case 3: [sx, sy] = [w - 1 - x, h - 1 - y]; break; // rotated 180
        case 4: [sx, sy] = [x, h - 1 - y]; break; // flipped
        case 5: [sx, sy] = [y, x]; break; // transposed
        case 6: [sx, sy] = [y, h - 1 - x]; break; // rotated 90 clockwise
        case 7: [sx, sy] = [w - 1 - y, h - 1 - x]; break; // transversed
        default: [sx, sy] = [w - 1 - y, x]; break; // 8: rotated 90 counter-clockwise
      }
      const from = (sy * w + sx) * 3;
      const to = (y * outWidth + x) * 3;
      out[to] = data[from]!;
      out[to + 1] = data[from + 1]!;
      out[to + 2] = data[from + 2]!;
    }
  }
  return { data: out, width: outWidth, height: outHeight };
}
