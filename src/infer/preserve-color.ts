/**
 * @file Colour preservation for style transfer by luminance-only transfer
 * (Gatys, Bethge, Hertzmann, Shechtman 2016, "Preserving Color in Neural
 * Artistic Style Transfer", arXiv:1606.05897, section 2.2): the result keeps
 * the stylised image's luminance and the content image's chroma, in YIQ.
 *
 * Closed form: YIQ's I and Q rows sum to zero, so the grey vector (1, 1, 1)
 * maps to (1, 0, 0) and the inverse transform's first column is (1, 1, 1).
 * Taking Y from the stylised pixel and I, Q from the input pixel is thus
 * `rgb_in + (Y_stylised - Y_in) * (1, 1, 1)`: one add per sample, no matrix
 * inverse and no rounding drift. (YCbCr gives the same result: its chroma
 * rows also vanish on grey and it shares Y.) Plain TypeScript on 8-bit RGB,
 * so it runs after any pool, backend or worker.
 */
import { optionRangeError } from '../errors.js';
import { checkRgbImage, type RgbImage } from '../pixels.js';

/** BT.601 luma weights, YIQ's (and YCbCr's) Y row. */
export const LUMA_WEIGHTS = Object.freeze([0.299, 0.587, 0.114] as const);

/**
 * Keeps `content`'s colours and takes `stylised`'s luminance (YIQ
 * luminance-only transfer). Samples that leave [0, 255] are clamped, which
 * shifts chroma only for pixels whose new luminance cannot carry the old
 * colour (near black or white).
 * @param content the input image, 8-bit RGB
 * @param stylised the network's output for it, same size
 * @returns a new 8-bit RGB image of the same size
 * @throws RangeError E_OPTIONS when the images are malformed or differ in size
 * @example
 * const out = preserveColor(input, await pool.run(input));
 */
export function preserveColor(content: RgbImage, stylised: RgbImage): RgbImage {
  checkRgbImage(content, 'content');
  checkRgbImage(stylised, 'stylised');
  if (content.width !== stylised.width || content.height !== stylised.height) {
    throw optionRangeError(
      'stylised',
      `the size of the content image, ${content.width}x${content.height} (preserve-color needs a style model, whose output matches its input)`,
      `${stylised.width}x${stylised.height}`,
    );
  }
  const [wr, wg, wb] = LUMA_WEIGHTS;
  const a = content.data;
  const s = stylised.data;
  const data = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i += 3) {
    const delta = wr * (s[i]! - a[i]!) + wg * (s[i + 1]! - a[i + 1]!) + wb * (s[i + 2]! - a[i + 2]!);
    for (let c = 0; c < 3; c++) {
      const v = Math.round(a[i + c]! + delta);
      data[i + c] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return { data, width: content.width, height: content.height };
}
