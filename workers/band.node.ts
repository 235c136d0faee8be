/**
 * @file Worker entry of a banded run (src/serve/band-runner.node.ts): loads
 * a style model once on WASM-SIMD, then for each run computes its band of
 * rows of every layer, taking neighbour rows and norm sums through shared
 * memory (src/serve/band-exchange.ts), and returns its band of the output.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { imageToTensor } from '../src/data/image-tensor.js';
import { quantise } from '../src/infer/infer-region.js';
import type { RgbImage } from '../src/infer/rgb-image.js';
import { runSteps } from '../src/networks/layers/sequential.js';
import { styleSteps } from '../src/networks/style-network.js';
import { selectBackend } from '../src/runtime/index.js';
import { abortBandExchange, exchangeBand, type BandExchange } from '../src/serve/band-exchange.js';
import type { StyleArch, TransformModel } from '../src/types.js';
import { loadTransformModel } from '../src/weights/load-transform-model.js';
import { crashHook } from './test-crash-hook.js';

/** A run: this worker's rows of the (padded) image and the exchange of the run. */
export interface BandTask {
  readonly band: RgbImage;
  readonly exchange: BandExchange;
}

/** The answer: the output rows of the band, or why it failed. Loading answers with the architecture. */
export type BandReply =
  | { readonly ok: true; readonly band?: RgbImage; readonly arch?: StyleArch }
  | { readonly ok: false; readonly message: string; readonly code?: string };

const { model: modelPath, index } = workerData as { model: string; index: number };
const port = parentPort!;

function failure(error: unknown): BandReply {
  return { ok: false, message: (error as Error).message ?? String(error), ...(typeof (error as { code?: unknown }).code === 'string' ? { code: (error as { code: string }).code } : {}) };
}

async function main(): Promise<void> {
  let model: TransformModel;
  try {
    await selectBackend({ purpose: 'infer', backend: process.env.PERCEPTUAL_BACKEND || 'wasm' });
    model = await loadTransformModel(modelPath);
    if (model.arch.task !== 'style') throw new RangeError(`${modelPath} is a ${model.arch.task} model; row bands are for style networks (SR tiles exactly: use the pool)`);
    port.postMessage({ ok: true, arch: model.arch } satisfies BandReply);
  } catch (error) {
    port.postMessage(failure(error));
    return;
  }
  port.on('message', ({ band, exchange }: BandTask) => {
    let reply: BandReply;
    try {
      crashHook();
      const input = imageToTensor(band.data, band.width, band.height, 3);
      let out: tf.Tensor4D;
      try {
        const steps = styleSteps(model.arch as StyleArch, model.params, { mode: 'bands', band: exchangeBand(exchange, index) });
        out = runSteps(steps, input, { lean: true });
      } finally {
        input.dispose();
      }
      const values = out.dataSync() as Float32Array;
      out.dispose();
      reply = { ok: true, band: { data: quantise(values), width: band.width, height: band.height } };
    } catch (error) {
      abortBandExchange(exchange);
      reply = failure(error);
    }
    port.postMessage(reply, reply.ok && reply.band ? [reply.band.data.buffer as ArrayBuffer] : []);
  });
}

void main();
