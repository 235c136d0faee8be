/**
 * @file The limits image decoding takes (`ImageLimits`) and their defaults,
 * apart from the decoder so that option parsing and `--help` need no sharp.
 */
import { checkInteger } from '../validate.js';

/**
 * The default largest width x height read: sharp's own default
 * (`limitInputPixels`, 0x3FFF x 0x3FFF), which guards against decompression
 * bombs. `maxPixels` (`--max-pixels`) raises or lowers it.
 */
export const DEFAULT_MAX_PIXELS = 0x3fff * 0x3fff;

/** What the decoders accept; every field is optional. */
export interface ImageLimits {
  /** Largest width x height decoded (default DEFAULT_MAX_PIXELS). */
  readonly maxPixels?: number;
  /** Told (one sentence) when an animated image is read as its first frame only. Default: nobody. */
  readonly onWarning?: (message: string) => void;
}

/**
 * `limits.maxPixels` or the default.
 * @throws RangeError E_OPTIONS when it is not a positive integer
 */
export function resolvedMaxPixels(limits: ImageLimits): number {
  return checkInteger(limits.maxPixels ?? DEFAULT_MAX_PIXELS, 'options.maxPixels (--max-pixels)', 1, Number.MAX_SAFE_INTEGER, 'a positive integer');
}
