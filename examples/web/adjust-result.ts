/**
 * @file The stylised result as the page shows it: colours preserved and/or
 * blended with the input by `strength`, on this thread with the library's own
 * 8-bit functions (src/infer/preserve-color.ts, src/infer/blend.ts), in the
 * CLI's order (src/cli/stylize.ts: preserve, then blend). Moving the slider
 * re-runs only this, never the network.
 */
import { rgbaToRgb, rgbToRgba } from '../../src/pixels.js';
import { blend } from '../../src/infer/blend.js';
import { preserveColor } from '../../src/infer/preserve-color.js';

/** The page's adjustments. */
export interface Adjustments {
  /** 0 gives the input back, 1 the network's output. */
  readonly strength: number;
  /** Keep the input's colours and take the result's luminance. */
  readonly preserveColors: boolean;
}

/**
 * Applies the adjustments to a style model's result.
 * @param input the image the network ran on
 * @param stylised its output, the same size
 * @returns `stylised` itself when there is nothing to do, else a new opaque ImageData
 * @throws RangeError E_OPTIONS when the sizes differ (an SR result: the page disables the controls then)
 */
export function adjustResult(input: ImageData, stylised: ImageData, { strength, preserveColors }: Adjustments): ImageData {
  if (strength >= 1 && !preserveColors) return stylised;
  const content = rgbaToRgb(input, 'input');
  const styled = rgbaToRgb(stylised, 'stylised');
  const coloured = preserveColors ? preserveColor(content, styled) : styled;
  const shown = rgbToRgba(strength < 1 ? blend(content, coloured, strength) : coloured);
  return new ImageData(shown.data as Uint8ClampedArray<ArrayBuffer>, shown.width, shown.height);
}
