/**
 * @file What the decoders check in an image's header before decoding it: the
 * pixel limit (sharp's own default refuses with only "Input image exceeds
 * pixel limit", and our decode message then told the user to "pass a PNG" for
 * a PNG) and animation (sharp reads the first frame of a GIF or WebP without
 * a word). Both are read from `metadata()`, which decodes no pixels.
 */
import type { Metadata } from 'sharp';
import { loadSharp } from './sharp.js';
import { perceptualError } from '../errors.js';
import { firstLine } from '../first-line.js';
import { DEFAULT_MAX_PIXELS, type ImageLimits, resolvedMaxPixels } from './image-limits.js';

/** The header fields the decoders act on. */
export interface ImageHeader {
  readonly format: string;
  readonly width: number;
  readonly height: number;
  /** Frames of an animated GIF/WebP (1 for a still image). */
  readonly frames: number;
}

/**
 * Reads the header of `input` (the file's bytes, or its path) and applies `limits`: refuses an image over the pixel
 * limit and warns (through `limits.onWarning`) that only the first frame of
 * an animated image is read.
 * @param source a name for messages (a path, `upload`)
 * @returns the header; decode with `limitInputPixels: resolvedMaxPixels(limits)` so sharp agrees
 * @throws PerceptualError E_IMAGE_DECODE when the bytes are not an image, or
 *   when it has more pixels than the limit (naming the limit and --max-pixels);
 *   RangeError E_OPTIONS for a bad maxPixels
 */
export async function checkImageHeader(input: Uint8Array | string, source: string, limits: ImageLimits = {}): Promise<ImageHeader> {
  const maxPixels = resolvedMaxPixels(limits);
  let meta: Metadata;
  try {
    // The limit is ours to apply, with a message that says what to do; sharp's would pre-empt it.
    meta = await (await loadSharp())(input, { failOn: 'error', limitInputPixels: false }).metadata();
  } catch (error) {
    throw perceptualError('E_IMAGE_DECODE', `Cannot decode image '${source}': ${firstLine(error)}. Pass a PNG, JPEG, WebP, AVIF, TIFF or GIF file.`, error);
  }
  const format = meta.format ?? 'unknown';
  const width = meta.width ?? 0;
  const frames = meta.pages ?? 1;
  // An animation's metadata height is one frame's unless sharp was asked for every page.
  const height = meta.pageHeight ?? meta.height ?? 0;
  if (width * height > maxPixels) {
    throw perceptualError(
      'E_IMAGE_DECODE',
      `Cannot decode image '${source}': it is ${width}x${height} = ${width * height} pixels, above the limit of ${maxPixels} pixels` +
        `${maxPixels === DEFAULT_MAX_PIXELS ? ' (16383x16383, the default)' : ''}. Raise the limit with --max-pixels ${width * height} (options.maxPixels), or downsize the image first.`,
    );
  }
  if (frames > 1) {
    limits.onWarning?.(`warning: '${source}' is an animated ${format.toUpperCase()} with ${frames} frames; only its first frame is read. Extract the frame you want as a still image to use another.`);
  }
  return { format, width, height, frames };
}
