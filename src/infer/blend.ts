/**
 * @file `strength`: a partial stylisation, the stylised image blended with
 * its input per 8-bit sample (the CLI's --strength, the service's
 * `?strength=`, the library's `strength` option).
 */
import { optionTypeError } from '../errors.js';
import type { RgbImage } from '../pixels.js';

/** `strength * stylised + (1 - strength) * input`, per 8-bit sample, rounded. */
export function blend(input: RgbImage, stylised: RgbImage, strength: number): RgbImage {
  if (input.width !== stylised.width || input.height !== stylised.height) {
    throw optionTypeError('strength', 'used only with a style model whose output matches the input size', strength);
  }
  const data = new Uint8Array(stylised.data.length);
  for (let i = 0; i < data.length; i += 1) {
    data[i] = Math.round(strength * stylised.data[i]! + (1 - strength) * input.data[i]!);
  }
  return { data, width: stylised.width, height: stylised.height };
}

