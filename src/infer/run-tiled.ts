/**
 * @file Seamless tiled inference: pad, plan, run tiles (in parallel through a
 * runner: in-process or a worker pool), blend with feathered weights, crop.
 * Style networks get whole-image instance-norm statistics in every tile
 * (norm-statistics.ts); SR networks need none and tile exactly.
 */
import { throwIfAborted } from '../errors.js';
import { createBlendTarget } from './feather-blend.js';
import type { RegionRequest, RegionResult } from './infer-region.js';
import { mergeNormSums, statisticsFromSums, type LayerNormSums, type NormStatistics } from './norm-statistics.js';
import { cutRgb, padRgbToMultiple } from './rgb-image.js';
import type { RgbImage } from '../pixels.js';
import { planTiles, type Tile } from './tile-plan.js';

/** Runs one region (in this thread or a worker); must honour `signal`. */
export type RegionRunner = (request: RegionRequest, signal?: AbortSignal) => Promise<RegionResult>;

/** Resolved options of runTiled (input pixels). */
export interface RunTiledOptions {
  /** Output pixels per input pixel (SR factor; 1 for style). */
  readonly scale: number;
  /** Tile edges are multiples of this (4 for style: two stride-2 convs; 1 for SR). */
  readonly multiple: number;
  readonly tile: number;
  readonly overlap: number;
  readonly feather: number;
  /** Tiles in flight at once (the pool's worker count). */
  readonly concurrency: number;
  /** Style: statistics every tile applies (e.g. from a downscaled record pass); absent: each tile its own (naive, seams). */
  readonly statistics?: NormStatistics;
  /**
   * Style: tiled passes before the final one, pass p re-measuring norm layer p exactly (given
   * layers before it are exact): with as many passes as the network has norm layers, the tiled
   * output equals the whole-image output. Default 0.
   */
  readonly refinePasses?: number;
  readonly signal?: AbortSignal;
  /** Called after each region finishes (tiles of every pass): how many are done of how many. */
  readonly onProgress?: ProgressCallback;
}

/** Regions done of the regions a job runs, reported as they finish. */
export type ProgressCallback = (progress: { readonly done: number; readonly total: number }) => void;

/**
 * Runs a network tile by tile over `image` and blends the tiles.
 * @returns the 8-bit output, `scale` times the input size
 * @throws AbortError (E_ABORTED) when `signal` aborts (checked before each tile); whatever `run` throws
 * @example
 * const out = await runTiled(image, { scale: 1, multiple: 4, tile: 512, overlap: 60, feather: 16, concurrency: 4, statistics }, runner);
 */
export async function runTiled(image: RgbImage, options: RunTiledOptions, run: RegionRunner): Promise<RgbImage> {
  const { scale, multiple, signal } = options;
  const padded = padRgbToMultiple(image, multiple);
  const plan = planTiles(padded, { tile: options.tile, overlap: options.overlap, feather: options.feather, multiple, scale });
  const outWidth = padded.width * scale;
  let statistics = options.statistics;
  // Norm layers in forward order (a record pass inserts them in that order).
  const layers = Object.keys(statistics ?? {});
  const refinePasses = statistics !== undefined ? Math.min(options.refinePasses ?? 0, layers.length) : 0;
  const total = plan.tiles.length * (refinePasses + 1);
  let done = 0;
  const finished = (): void => options.onProgress?.({ done: ++done, total });
  for (let pass = 0; pass < refinePasses; pass++) {
    const sums: Record<string, LayerNormSums> = {};
    const current = statistics!;
    await forEachTile(plan.tiles, options.concurrency, signal, async (tile) => {
      const { owned, input } = tile;
      const region = [owned.y - input.y, owned.x - input.x, owned.y - input.y + owned.height, owned.x - input.x + owned.width] as const;
      const result = await run({ image: cutRgb(padded, input), crop: { x: 0, y: 0, width: 0, height: 0 }, stats: { mode: 'accumulate', statistics: current, region } }, signal);
      if (result.sums) mergeNormSums(sums, result.sums);
      finished();
    });
    // Layers before `pass` were already exact, so the sums of layer `pass` are exact now; deeper
    // ones were taken under inexact statistics and are kept from before (replacing them all at
    // once does not converge: measured worse than not refining).
    const layer = layers[pass]!;
    const measured = statisticsFromSums(sums)[layer];
    if (measured !== undefined) statistics = { ...statistics, [layer]: measured };
  }
  // Bytes outside the feather bands, float sums only inside them (not a 100 MB accumulator at 4K).
  const target = createBlendTarget(plan.tiles, outWidth, padded.height * scale, image.width * scale, image.height * scale);
  const finalStats = statistics;
  await forEachTile(plan.tiles, options.concurrency, signal, async (tile) => {
    const crop = { x: tile.output.x - tile.input.x * scale, y: tile.output.y - tile.input.y * scale, width: tile.output.width, height: tile.output.height };
    const result = await run({ image: cutRgb(padded, tile.input), crop, output: 'float32', ...(finalStats ? { stats: { mode: 'apply', statistics: finalStats } } : {}) }, signal);
    target.add(tile, result.data as Float32Array);
    finished();
  });
  return { data: target.finish(), width: image.width * scale, height: image.height * scale };
}

/** Runs `body` over tiles with at most `concurrency` in flight; the first failure stops new starts and is rethrown. */
async function forEachTile(tiles: readonly Tile[], concurrency: number, signal: AbortSignal | undefined, body: (tile: Tile) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (failure === undefined && next < tiles.length) {
      const tile = tiles[next++]!;
      try {
        throwIfAborted(signal);
        await body(tile);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, tiles.length)) }, lane));
  if (failure !== undefined) throw failure.error;
}
