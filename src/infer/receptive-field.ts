/**
 * @file How far (in input pixels) an output pixel of a transform network can
 * see: the context a tile needs on each side for its output to equal the
 * whole-image output exactly (given shared normalisation statistics).
 */
import type { TransformArch } from '../types.js';

/**
 * A conservative receptive radius in input pixels, summed layer by layer
 * (SPEC section 4): each KxK conv at 1/s of the input resolution adds
 * s (K - 1) / 2; nearest-neighbour and bilinear resampling add a pixel of
 * slack at their resolution.
 * - style: cK1 ((K1 - 1) / 2) + d1 (1) + d2 (2) + 2 R convs at 1/4 (8 R) + u1 (2 + 2) + u2 (1 + 1) + out cKo ((Ko - 1) / 2)
 * - SR x f, the paper's head: cK1 ((K1 - 1) / 2) + 2 R convs (2 R) + per 2x stage a 3x3 conv and a
 *   resize (2 / 2^i) + out cKo at f x ((Ko - 1) / 2f)
 * - SR sub-pixel head: cK1 + 2 R convs + out cKo, all at the input resolution ((Ko - 1) / 2)
 * - SR skip: bicubic reads 2 input pixels each side (its 5x5 phase kernels), the others 1
 * @example receptiveRadius(DEFAULT_STYLE_ARCH) // 57
 */
export function receptiveRadius(arch: TransformArch): number {
  if (arch.task === 'style') return (arch.c1Kernel - 1) / 2 + 1 + 2 + 8 * arch.residualBlocks + 4 + 2 + (arch.outKernel - 1) / 2;
  let radius = (arch.c1Kernel - 1) / 2 + 2 * arch.residualBlocks + (arch.skip === 'bicubic' ? 2 : 1);
  if (arch.upsample === 'shuffle') return Math.ceil(radius + (arch.outKernel - 1) / 2);
  const stages = Math.round(Math.log2(arch.scale));
  radius += (arch.outKernel - 1) / 2 / arch.scale;
  for (let i = 1; i <= stages; i++) radius += 2 / 2 ** i;
  return Math.ceil(radius);
}
