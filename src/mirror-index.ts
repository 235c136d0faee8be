/**
 * @file The mirror boundary rule, shared by reflection padding of whole
 * images (src/infer/rgb-image.ts), the MirrorPad gradient kernel
 * (src/runtime/kernels/mirror-pad-adjoint.ts) and MATLAB-style bicubic
 * resampling (src/metrics/bicubic-upscale.ts), so that they cannot drift
 * apart. Plain arithmetic, no imports: runtime, infer and metrics all use it.
 */

/** tf.mirrorPad's two modes. */
export type MirrorMode = 'reflect' | 'symmetric';

/**
 * The index in 0..n-1 whose value position `i` of a mirrored axis of length
 * `n` (n >= 1) copies.
 * - reflect mirrors about the edge pixel, which is not repeated:
 *   x[-1] = x[1], x[n] = x[n - 2] (tf.mirrorPad 'reflect', numpy 'reflect');
 * - symmetric mirrors about the edge itself, repeating the edge pixel:
 *   x[-1] = x[0], x[n] = x[n - 1] (tf.mirrorPad 'symmetric', MATLAB imresize).
 * Any integer `i` is accepted: beyond one mirror image the rule folds again,
 * as a periodic signal of period 2(n - 1) (reflect) or 2n (symmetric), which
 * is what padding an axis by more than its own length needs. A 1-pixel axis
 * has nothing to reflect about, so reflect replicates its pixel.
 */
export function mirrorIndex(i: number, n: number, mode: MirrorMode): number {
  if (mode === 'reflect') {
    if (n === 1) return 0;
    const period = 2 * (n - 1);
    const j = ((i % period) + period) % period;
    return j < n ? j : period - j;
  }
  const period = 2 * n;
  const j = ((i % period) + period) % period;
  return j < n ? j : period - 1 - j;
}
