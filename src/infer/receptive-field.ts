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
 * - style: c9 (4) + d1 (1) + d2 (2) + 2 R convs at 1/4 (8 R) + u1 (2 + 2) + u2 (1 + 1) + out c9 (4)
 * - SR x f: c9 (4) + 2 R convs (2 R) + per 2x stage a 3x3 conv and a resize (2 / 2^i) + out c9 (4 / f) + skip (1)
 * @example receptiveRadius(DEFAULT_STYLE_ARCH) // 57
 */
export function receptiveRadius(arch: TransformArch): number {
  if (arch.task === 'style') return 4 + 1 + 2 + 8 * arch.residualBlocks + 4 + 2 + 4;
  const stages = Math.round(Math.log2(arch.scale));
  let radius = 4 + 2 * arch.residualBlocks + 4 / arch.scale + 1;
  for (let i = 1; i <= stages; i++) radius += 2 / 2 ** i;
  return Math.ceil(radius);
}
