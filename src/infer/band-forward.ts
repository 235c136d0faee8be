/**
 * @file The banded forward pass of a style network: one worker's band of
 * rows through every layer (src/networks/layers/row-band.ts) under the band
 * execution (band-execution.ts), neighbour rows and instance-norm sums taken
 * through the run's shared memory (src/serve/band-exchange.ts). The band
 * runner (src/serve/band-runner.node.ts) starts one worker per band;
 * workers/band.node.ts is only the thread's entry.
 */
import * as tf from '@tensorflow/tfjs-core';
import { imageToTensor } from '../data/image-tensor.js';
import { runSteps } from '../networks/layers/sequential.js';
import { styleSteps } from '../networks/style-network.js';
import { abortBandExchange, exchangeBand, type BandExchange } from '../serve/band-exchange.js';
import type { StyleArch, TransformModel } from '../types.js';
import { loadTransformModel } from '../weights/load-transform-model.js';
import { bandExecution } from './band-execution.js';
import { quantise } from './infer-region.js';
import type { RgbImage } from '../pixels.js';

/** A style model: the only kind a banded run takes. */
export type BandModel = TransformModel & { readonly arch: StyleArch };

/**
 * Loads the style model of a banded run.
 * @throws RangeError for an SR model (SR tiles exactly: use the pool); as loadTransformModel
 */
export async function loadBandModel(path: string): Promise<BandModel> {
  const model = await loadTransformModel(path);
  if (model.arch.task !== 'style') throw new RangeError(`${path} is a ${model.arch.task} model; row bands are for style networks (SR tiles exactly: use the pool)`);
  return model as BandModel;
}

/**
 * Runs band `index` of the run `exchange` describes through `model` (a style
 * network) and returns its output rows as bytes. On failure it aborts the
 * exchange first, so the other workers stop at their next barrier instead of waiting.
 * @throws RangeError when the band's height or width is not a multiple of 4 (the network's
 *   stride-2 convs need the whole image's 4-pixel grid); what the layers or the exchange throw
 *   (an aborted or timed-out exchange among them)
 */
export function bandForward(model: BandModel, band: RgbImage, exchange: BandExchange, index: number): RgbImage {
  try {
    if (band.height % 4 !== 0 || band.width % 4 !== 0) throw new RangeError(`bandForward: a band of ${band.width}x${band.height} pixels is not on the 4-pixel grid of the style network`);
    const input = imageToTensor(band.data, band.width, band.height, 3);
    let out: tf.Tensor4D;
    try {
      out = runSteps(styleSteps(model.arch, model.params, bandExecution(exchangeBand(exchange, index))), input, { lean: true });
    } finally {
      input.dispose();
    }
    const values = out.dataSync() as Float32Array;
    out.dispose();
    return { data: quantise(values), width: band.width, height: band.height };
  } catch (error) {
    abortBandExchange(exchange);
    throw error;
  }
}
