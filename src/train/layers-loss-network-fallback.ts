/**
 * @file A minimal tfjs layers loss network, used by training only while
 * src/networks has no `load-loss-network.ts` (the networks helper owns the
 * real one; see run-inputs.ts). Loads model.json + shards from a folder,
 * and exposes the outputs of named layers as taps. Input is [0, 1] RGB
 * unchanged (the ml5 darknet classifiers divide pixels by 255).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { optionRangeError, perceptualError } from '../errors.js';
import type { FeatureMaps, ImageBatch, LossNetwork } from '../types.js';

/**
 * Loads a layers model folder as a loss network.
 * @param taps layer names to expose, shallowest first
 * @throws PerceptualError E_WEIGHTS_FORMAT when the folder cannot be read; RangeError E_OPTIONS for an unknown layer
 */
export async function loadLayersLossNetworkFallback(dir: string, taps: readonly string[]): Promise<LossNetwork> {
  let json: { modelTopology: object; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  try {
    json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
  } catch (error) {
    throw perceptualError('E_WEIGHTS_FORMAT', `Cannot read ${join(dir, 'model.json')}: ${(error as Error).message}. Pass a folder holding a tfjs layers model.`, error);
  }
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const path of group.paths) buffers.push(await readFile(join(dir, path)));
  }
  const total = buffers.reduce((a, b) => a + b.byteLength, 0);
  const weightData = new Uint8Array(total);
  let offset = 0;
  for (const b of buffers) {
    weightData.set(b, offset);
    offset += b.byteLength;
  }
  const model = await tfl.loadLayersModel({ load: async () => ({ modelTopology: json.modelTopology, weightSpecs: specs, weightData: weightData.buffer }) });
  const names = model.layers.map((l) => l.name);
  for (const [i, tap] of taps.entries()) {
    if (!names.includes(tap)) throw optionRangeError(`lossTaps[${i}]`, `a layer of ${dir} (${names.join(', ')})`, tap);
  }
  const ordered = names.filter((n) => taps.includes(n));
  const extractor = tfl.model({ inputs: model.inputs, outputs: ordered.map((n) => model.getLayer(n).output as tfl.SymbolicTensor) });
  return {
    name: `layers:${dir.split('/').filter(Boolean).pop()}`,
    taps: ordered,
    source: dir,
    features(images: ImageBatch, wanted: readonly string[]): FeatureMaps {
      return tf.tidy(() => {
        const outputs = extractor.apply(images) as tf.Tensor | tf.Tensor[];
        const list = Array.isArray(outputs) ? outputs : [outputs];
        const maps: FeatureMaps = {};
        ordered.forEach((n, i) => {
          if (wanted.includes(n)) maps[n] = list[i] as tf.Tensor4D;
        });
        return maps;
      });
    },
    dispose() {
      model.dispose();
    },
  };
}
