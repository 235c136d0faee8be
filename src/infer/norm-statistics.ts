/**
 * @file Whole-image instance-norm statistics for tiled style transfer.
 * Instance norm (SPEC section 4) normalises with the statistics of the whole
 * image; a tile that used its own would normalise differently from its
 * neighbours and show seams. Two sources, both shared by every tile:
 * - a `record` pass over the image downscaled to `statsSize` (cheap; approximate,
 *   since features of a smaller image have other statistics);
 * - `accumulate` passes: the tiles apply the current statistics and sum the
 *   pre-norm moments over the pixels they own; the merged sums are the exact
 *   whole-image statistics of the first layer after one pass, and of one
 *   layer more after each further pass (`refinePasses`).
 * The executions that record, apply and accumulate them are in tile-execution.ts.
 */

/** Per-channel mean and biased variance of one instance-norm layer, batch of one: `C` values each. */
export interface LayerNormStatistics {
  readonly mean: Float32Array;
  readonly variance: Float32Array;
}

/** Statistics keyed by norm layer name (`c1.norm`, `res0.norm1`, ...). Plain arrays: they cross worker boundaries. */
export type NormStatistics = Readonly<Record<string, LayerNormStatistics>>;

/** Partial sums over part of an image, per channel: sum of (x - shift) and of (x - shift)^2, shift = applied mean. */
export interface LayerNormSums {
  count: number;
  readonly sum: Float64Array;
  readonly sumSquares: Float64Array;
  /** The shift the sums are taken about (the applied mean), for conditioning. */
  readonly shift: Float32Array;
}

/**
 * Adds `from` into `into` (same layers, same shift: all tiles of a pass apply the same statistics).
 * @throws RangeError when the shifts differ (sums from different passes)
 */
export function mergeNormSums(into: Record<string, LayerNormSums>, from: Readonly<Record<string, LayerNormSums>>): void {
  for (const [name, sums] of Object.entries(from)) {
    const target = into[name];
    if (target === undefined) {
      into[name] = { count: sums.count, sum: Float64Array.from(sums.sum), sumSquares: Float64Array.from(sums.sumSquares), shift: Float32Array.from(sums.shift) };
      continue;
    }
    if (target.shift.length !== sums.shift.length || target.shift.some((v, k) => v !== sums.shift[k])) {
      throw new RangeError(`mergeNormSums: layer '${name}' sums were taken about different shifts (from different passes)`);
    }
    target.count += sums.count;
    for (let k = 0; k < target.sum.length; k++) {
      target.sum[k] += sums.sum[k]!;
      target.sumSquares[k] += sums.sumSquares[k]!;
    }
  }
}

/**
 * Mean and biased variance from merged sums: mean = shift + S1 / n,
 * var = S2 / n - (S1 / n)^2 (sums about the shift keep this well conditioned).
 */
export function statisticsFromSums(sums: Readonly<Record<string, LayerNormSums>>): NormStatistics {
  const out: Record<string, { mean: Float32Array; variance: Float32Array }> = {};
  for (const [name, s] of Object.entries(sums)) {
    const mean = new Float32Array(s.sum.length);
    const variance = new Float32Array(s.sum.length);
    for (let k = 0; k < s.sum.length; k++) {
      const m = s.sum[k]! / s.count;
      mean[k] = s.shift[k]! + m;
      variance[k] = Math.max(0, s.sumSquares[k]! / s.count - m * m);
    }
    out[name] = { mean, variance };
  }
  return out;
}
