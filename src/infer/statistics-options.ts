/**
 * @file The other ways tiled style inference can gather its instance-norm
 * statistics (norm-statistics.ts), beside the default: per-tile statistics,
 * a mosaic of crops, another size of the statistics pass, refine passes.
 * Benchmarks and the equivalence tests compare them; they are not public
 * options (src/index.ts exports inferImage with InferOptions), so the
 * benchmarks and tests import them from here.
 */
import type { TransformModel } from '../types.js';
import type { RgbImage } from '../pixels.js';
import { type InferOptions, inferImage } from './infer-image.js';

/** The statistics pass's options, all optional; resolveInferOptions checks them and fills in the defaults. */
export interface StatisticsOptions {
  /** Style: whole-image statistics (`shared`, default) or each tile's own (`per-tile`: seams; for contrast). */
  readonly normStats?: 'shared' | 'per-tile';
  /**
   * Style: the statistics pass sees at most statsSize^2 pixels (default 512^2): the whole image
   * when it is that small (exact), else the image `downscaled` (default) or a
   * `mosaic` of full-resolution crops (measured worse: bench/RESULTS-infer.md).
   */
  readonly statsSize?: number;
  /** Style: how a large image is reduced for the statistics pass. Default `downscaled`. */
  readonly statsFrom?: 'mosaic' | 'downscaled';
  /** Style: crop edge of the mosaic. Default 128. */
  readonly statsCrop?: number;
  /**
   * Style: tiled passes that make the statistics exact one norm layer at a time (pass p:
   * layer p); as many passes as norm layers (16 for the default network) give the
   * whole-image output exactly, at that many times the cost. Default 0.
   */
  readonly refinePasses?: number;
}

/**
 * inferImage with the statistics pass's options too.
 * @throws as inferImage
 */
export function inferImageWithStatistics(model: TransformModel, image: RgbImage, options: InferOptions & StatisticsOptions = {}): Promise<RgbImage> {
  return inferImage(model, image, options);
}
