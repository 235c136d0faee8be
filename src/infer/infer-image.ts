/**
 * @file Whole-or-tiled inference of one 8-bit RGB image, given a region
 * runner (this thread, or a worker pool: src/serve/pool.node.ts). Decides
 * whether to tile, gathers whole-image statistics for style networks, and
 * runs the tiles (run-tiled.ts).
 */
import { optionRangeError, throwIfAborted } from '../errors.js';
import { checkOneOf, optionalIntegerAtLeast } from '../validate.js';
import type { TransformArch, TransformModel } from '../types.js';
import { inferRegion } from './infer-region.js';
import { receptiveRadius } from './receptive-field.js';
import { downscaleRgb, mosaicRgb, padRgbToMultiple } from './rgb-image.js';
import type { RgbImage } from '../pixels.js';
import { type ProgressCallback, runTiled, type RegionRunner } from './run-tiled.js';
import type { StatisticsOptions } from './statistics-options.js';

/** Options of inferImage (all optional). Pixel options are in input pixels. */
export interface InferOptions {
  /**
   * Owned tile edge. Given: images of more than tile^2 input pixels are tiled. Default (style):
   * images up to 512x512 pixels run whole, larger ones in 320-pixel tiles; (SR) 512 / scale.
   * A wasm heap never shrinks, so the largest region a thread runs sets its memory for good:
   * at 3840x2160, 320-pixel tiles need far less memory than 512 for a little more run time
   * (bench/RESULTS-infer.md, "3840x2160 through the pool").
   */
  readonly tile?: number;
  /** Context per tile side beyond its blend band. Default: the network's receptive radius rounded up to `multiple`. */
  readonly overlap?: number;
  /** Blend band width at tile seams. Default 16. */
  readonly feather?: number;
  /** `auto` (default): tile when larger than tile^2; `always`; `never`. */
  readonly tiling?: 'auto' | 'always' | 'never';
  /** Regions in flight at once. Default 1. */
  readonly concurrency?: number;
  readonly signal?: AbortSignal;
  /** Called as regions finish (one for a whole image; every tile of every pass when tiled). */
  readonly onProgress?: ProgressCallback;
}

/** InferOptions with every default filled in. */
export interface ResolvedInferOptions {
  readonly tile: number;
  /** `auto` tiling runs images of up to this many input pixels whole: tile^2 for a given tile, else the default's. */
  readonly wholeMaxPixels: number;
  readonly overlap: number;
  readonly feather: number;
  readonly multiple: number;
  readonly scale: number;
  readonly tiling: 'auto' | 'always' | 'never';
  readonly normStats: 'shared' | 'per-tile';
  readonly statsSize: number;
  readonly statsFrom: 'mosaic' | 'downscaled';
  readonly statsCrop: number;
  readonly refinePasses: number;
  readonly concurrency: number;
}

/** Defaults not derived from the arch; `styleMinTile` and `srMinTile` are floors of `minimumTile`. */
export const DEFAULT_INFER_OPTIONS = Object.freeze({ styleTile: 512, styleLargeTile: 320, srOutputTile: 512, feather: 16, statsSize: 512, statsCrop: 128, refinePasses: 0, concurrency: 1, styleMinTile: 32, srMinTile: 16 } as const);

/**
 * The smallest tile edge (input pixels) resolveInferOptions accepts. A tile
 * computes (tile + 2 overlap)^2 pixels to keep tile^2 of them, so a tile
 * narrower than the overlap spends over 8/9 of its work on context: `--tile 4`
 * on the default style network (overlap 60) computes 124^2 / 4^2 = 961 times
 * the pixels it keeps (measured: bench/RESULTS-design-figures.md, "Tiles
 * narrower than the overlap"). Hence tile >= overlap
 * (at most 9x the pixels; the defaults, 320 against 60, cost 1.9x). Whatever
 * the overlap (it may be set to 0), each region is a call through every layer
 * with a fixed cost, and the style network runs its residual blocks at 1/4
 * resolution, so a 32 px style tile is 8x8 cells there; SR convs run at the
 * input resolution, so its floor is 16 input px.
 */
export function minimumTile(arch: TransformArch, overlap: number, multiple: number): number {
  const floor = arch.task === 'style' ? DEFAULT_INFER_OPTIONS.styleMinTile : DEFAULT_INFER_OPTIONS.srMinTile;
  return Math.ceil(Math.max(floor, overlap) / multiple) * multiple;
}

/**
 * Validates and fills in options for `arch`, the statistics pass's too
 * (statistics-options.ts: for benchmarks and tests, not in InferOptions).
 * @throws TypeError / RangeError E_OPTIONS naming the option (`options.tile must be an integer >= 4 (received 2)`),
 *   also for a tile smaller than `minimumTile`
 */
export function resolveInferOptions(arch: TransformArch, options: InferOptions & StatisticsOptions = {}): ResolvedInferOptions {
  const scale = arch.task === 'sr' ? arch.scale : 1;
  // Two stride-2 convs: tiles must start on the whole image's 4-pixel grid (SPEC section 4).
  const multiple = arch.task === 'style' ? 4 : 1;
  const defaultTile = arch.task === 'style' ? DEFAULT_INFER_OPTIONS.styleTile : Math.max(multiple, Math.round(DEFAULT_INFER_OPTIONS.srOutputTile / scale));
  const given = optionalIntegerAtLeast(options.tile, 'options.tile', multiple, defaultTile);
  if (given % multiple !== 0) throw optionRangeError('options.tile', `a multiple of ${multiple} for this network`, given);
  // Default style tiling: whole up to 512^2, then tiles small enough that each thread's wasm heap
  // stays near 0.2 GB (see InferOptions.tile; the pool runs one heap per worker).
  const tile = options.tile === undefined && arch.task === 'style' ? DEFAULT_INFER_OPTIONS.styleLargeTile : given;
  const overlap = optionalIntegerAtLeast(options.overlap, 'options.overlap', 0, Math.ceil(receptiveRadius(arch) / multiple) * multiple);
  const minTile = minimumTile(arch, overlap, multiple);
  if (tile < minTile) {
    const floor = DEFAULT_INFER_OPTIONS[arch.task === 'style' ? 'styleMinTile' : 'srMinTile'];
    const why = minTile > floor ? `no smaller than its overlap, the ${overlap} px of context a tile reads on each side` : 'the smallest region worth a network call';
    throw optionRangeError('options.tile', `at least ${minTile} input pixels for this network (${why}); smaller tiles run many times slower than no tiling. Pass a tile of ${minTile} or more (--tile), or leave it out`, tile);
  }
  return {
    tile,
    wholeMaxPixels: given * given,
    overlap,
    feather: optionalIntegerAtLeast(options.feather, 'options.feather', 0, DEFAULT_INFER_OPTIONS.feather),
    multiple,
    scale,
    tiling: checkOneOf(options.tiling ?? 'auto', 'options.tiling', ['auto', 'always', 'never'] as const),
    normStats: checkOneOf(options.normStats ?? 'shared', 'options.normStats', ['shared', 'per-tile'] as const),
    statsSize: optionalIntegerAtLeast(options.statsSize, 'options.statsSize', 16, DEFAULT_INFER_OPTIONS.statsSize),
    statsFrom: checkOneOf(options.statsFrom ?? 'downscaled', 'options.statsFrom', ['downscaled', 'mosaic'] as const),
    statsCrop: optionalIntegerAtLeast(options.statsCrop, 'options.statsCrop', multiple, DEFAULT_INFER_OPTIONS.statsCrop),
    refinePasses: optionalIntegerAtLeast(options.refinePasses, 'options.refinePasses', 0, DEFAULT_INFER_OPTIONS.refinePasses),
    concurrency: optionalIntegerAtLeast(options.concurrency, 'options.concurrency', 1, DEFAULT_INFER_OPTIONS.concurrency),
  };
}

/** True when `image` should be tiled under `options`. */
export function shouldTile(image: { readonly width: number; readonly height: number }, options: ResolvedInferOptions): boolean {
  if (options.tiling !== 'auto') return options.tiling === 'always';
  return image.width * image.height > options.wholeMaxPixels;
}

/**
 * Runs a network of architecture `arch` on `image` through `run`: whole, or
 * tiled with shared statistics.
 * @returns the 8-bit output (`scale` times larger for SR)
 * @throws AbortError E_ABORTED when `signal` aborts; whatever `run` throws
 */
export async function inferImageWith(
  arch: TransformArch,
  image: RgbImage,
  options: ResolvedInferOptions,
  run: RegionRunner,
  signal?: AbortSignal,
  onProgress?: ProgressCallback,
): Promise<RgbImage> {
  throwIfAborted(signal);
  if (!shouldTile(image, options)) {
    const result = await run({ image, output: 'uint8' }, signal);
    onProgress?.({ done: 1, total: 1 });
    return { data: result.data as Uint8Array, width: result.width, height: result.height };
  }
  let statistics;
  if (arch.task === 'style' && options.normStats === 'shared') {
    // The record pass sees the image as styleNetwork would: padded to the 4-grid, then reduced.
    const padded = padRgbToMultiple(image, options.multiple);
    const small =
      options.statsFrom === 'mosaic'
        ? mosaicRgb(padded, options.statsSize, Math.min(options.statsCrop, options.statsSize), options.multiple)
        : downscaleRgb(padded, Math.floor((Math.max(padded.width, padded.height) * options.statsSize) / Math.sqrt(padded.width * padded.height)));
    const result = await run({ image: small, crop: { x: 0, y: 0, width: 0, height: 0 }, stats: { mode: 'record' } }, signal);
    statistics = result.recorded;
  }
  return runTiled(
    image,
    { ...options, ...(statistics ? { statistics } : {}), refinePasses: statistics ? options.refinePasses : 0, ...(signal ? { signal } : {}), ...(onProgress ? { onProgress } : {}) },
    run,
  );
}

/**
 * In-process inference of one image (this thread's active backend).
 * @returns the 8-bit output
 * @throws RangeError E_OPTIONS for bad options; AbortError on abort
 * @example
 * const out = await inferImage(await loadTransformModel('wave.safetensors'), rgb, { tile: 256 });
 */
export async function inferImage(model: TransformModel, image: RgbImage, options: InferOptions = {}): Promise<RgbImage> {
  const resolved = resolveInferOptions(model.arch, options);
  return inferImageWith(model.arch, image, resolved, (request) => inferRegion(model, request), options.signal, options.onProgress);
}
