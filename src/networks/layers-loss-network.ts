/**
 * @file A loss network from any tfjs layers model (model.json + weight
 * shards), e.g. ml5's darknettiny: every supported layer is a tap (SPEC
 * section 2, "a tfjs layers model").
 *
 * Why not `tf.loadLayersModel`: tfjs-layers runs every Conv2D through
 * `tf.fused.conv2d`, whose gradient eagerly computes the filter gradient as
 * well, and the WASM backend has no Conv2DBackpropFilter kernel, so a
 * perceptual loss through a tfjs-layers model cannot be differentiated on
 * WASM (tried with tfjs 4.22: "Kernel 'Conv2DBackpropFilter' not registered
 * for backend 'wasm'"). It would also need the input shape rewritten and the
 * weights kept as trainable variables. This file instead reads the Keras
 * topology and runs the common layer types with plain core ops on plain
 * (frozen) tensors, at any input size.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { optionRangeError, optionTypeError, perceptualError, tensorShapeError } from '../errors.js';
import type { FeatureMaps, ImageBatch, LossNetwork } from '../types.js';
import { LAYER_OPS, parseTopology, type LayerNode } from './layers-loss-network-ops.js';

export { LAYER_OPS } from './layers-loss-network-ops.js';

/** Options of loadLayersLossNetwork. */
export interface LayersLossNetworkOptions {
  /** Layer names the network may be asked for (default: every supported layer). */
  taps?: readonly string[];
  /**
   * Maps [0, 1] RGB to what the model expects; caller-side tensors it makes are
   * disposed by the network. Default: unchanged (SPEC section 2).
   */
  preprocess?: (images: tf.Tensor4D) => tf.Tensor4D;
  /** Name for provenance (default `layers:<folder name>`). */
  name?: string;
}

interface ModelJson {
  modelTopology?: unknown;
  weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/**
 * Loads a tfjs layers model as a frozen loss network.
 * @param path the model folder or its model.json
 * @example
 *   const net = await loadLayersLossNetwork('models/darknettiny', { taps: ['leaky_re_lu_2', 'leaky_re_lu_4'] });
 * @throws PerceptualError E_IO (missing files), E_MODEL_FORMAT (not a layers
 *   model, unsupported layer on the way to a tap), E_WEIGHTS_MISMATCH (missing
 *   or misshapen weights); RangeError E_OPTIONS for an unknown tap.
 */
export async function loadLayersLossNetwork(path: string, options: LayersLossNetworkOptions = {}): Promise<LossNetwork> {
  const modelPath = (await stat(path).catch(() => undefined))?.isDirectory() ? join(path, 'model.json') : path;
  const directory = dirname(modelPath);
  let json: ModelJson;
  try {
    json = JSON.parse(await readFile(modelPath, 'utf8')) as ModelJson;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw perceptualError(code ? 'E_IO' : 'E_MODEL_FORMAT', `${modelPath}: ${code ? `cannot read (${code})` : `not JSON (${(error as Error).message})`}. Pass a tfjs layers model folder (model.json + shards).`, error);
  }
  const nodes = parseTopology(json.modelTopology, modelPath);
  const manifest = json.weightsManifest ?? [];
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  for (const group of manifest) {
    specs.push(...group.weights);
    for (const shard of group.paths) {
      try {
        buffers.push(await readFile(join(directory, shard)));
      } catch (error) {
        throw perceptualError('E_IO', `${modelPath}: weight shard ${shard} is missing (${(error as NodeJS.ErrnoException).code}). Copy every file listed in weightsManifest next to model.json.`, error);
      }
    }
  }
  const data = new Uint8Array(buffers.reduce((n, b) => n + b.byteLength, 0));
  buffers.reduce((offset, b) => (data.set(b, offset), offset + b.byteLength), 0);
  const expectedBytes = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * (s.quantization ? s.quantization.dtype === 'uint8' ? 1 : 2 : 4), 0);
  if (data.byteLength < expectedBytes) {
    throw perceptualError('E_WEIGHTS_FORMAT', `${modelPath}: the weight shards hold ${data.byteLength} bytes but weightsManifest needs ${expectedBytes} (truncated shard?). Re-download the model.`);
  }
  const weights = tf.io.decodeWeights(data.buffer, specs);
  const lookup = (layer: string, param: string): tf.Tensor | undefined => {
    const exact = weights[`${layer}/${param}`];
    if (exact) return exact;
    const suffix = `/${layer}/${param}`;
    const key = Object.keys(weights).find((k) => k.endsWith(suffix));
    return key ? weights[key] : undefined;
  };

  // A layer can be a tap when its type is supported and so are all its inputs.
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const supported = new Set<string>();
  for (const node of nodes) if (LAYER_OPS[node.className] && node.inputs.every((i) => supported.has(i))) supported.add(node.name);
  const all = nodes.filter((n) => supported.has(n.name) && n.className !== 'InputLayer').map((n) => n.name);
  // Name the choices: a bare "layer names of X" sends the user to read model.json, and an empty list is no answer at all.
  if (options.taps !== undefined && options.taps.length === 0) {
    throw optionRangeError('options.taps', `a non-empty list of layers of ${modelPath}, from ${all.join(', ')}; leave it out to expose them all`, []);
  }
  for (const tap of options.taps ?? []) {
    const node = byName.get(tap);
    if (!node) throw optionRangeError('options.taps', `layers of ${modelPath}, each one of ${all.join(', ')}`, tap);
    if (!supported.has(tap)) {
      const blocker = firstUnsupported(node, byName, supported);
      throw perceptualError('E_MODEL_FORMAT', `${modelPath}: tap ${tap} needs layer ${blocker.name} of type ${blocker.className}, which perceptual cannot run (supported: ${Object.keys(LAYER_OPS).join(', ')}). Choose an earlier tap.`);
    }
  }
  const taps = Object.freeze([...(options.taps ?? all)].sort((a, b) => all.indexOf(a) - all.indexOf(b)));
  // Keep only the weights that the taps' ancestors use; bind each layer to its op.
  const needed = ancestors(taps, byName);
  const ops = new Map<string, (inputs: tf.Tensor4D[]) => tf.Tensor4D>();
  const used = new Set<tf.Tensor>();
  for (const node of nodes) {
    if (!needed.has(node.name)) continue;
    ops.set(node.name, LAYER_OPS[node.className]!(node, (param, required = true) => {
      const tensor = lookup(node.name, param);
      if (!tensor && required) throw perceptualError('E_WEIGHTS_MISMATCH', `${modelPath}: weight ${node.name}/${param} of ${node.className} layer ${node.name} is missing from weightsManifest. Re-export the model.`);
      if (tensor) used.add(tensor);
      return tensor;
    }, modelPath));
  }
  tf.dispose(Object.values(weights).filter((t) => !used.has(t)));
  const order = nodes.filter((n) => needed.has(n.name));
  const name = options.name ?? `layers:${basename(directory)}`;
  let disposed = false;

  const features = (images: ImageBatch, requested: readonly string[]): FeatureMaps => {
    if (disposed) throw perceptualError('E_OPTIONS', `${name} was disposed. Load the network again.`);
    if (!Array.isArray(requested) || requested.length === 0) throw optionTypeError('taps', `a non-empty array of layer names of ${name}`, requested);
    for (const tap of requested) if (!taps.includes(tap)) throw optionRangeError('taps', `one of ${taps.join(', ')}`, tap);
    if (images.rank !== 4) throw tensorShapeError('images', `${name}.features`, 'rank 4 NHWC', images.shape);
    const wanted = ancestors(requested, byName);
    return tf.tidy(() => {
      const values = new Map<string, tf.Tensor4D>();
      const out: FeatureMaps = {};
      for (const node of order) {
        if (!wanted.has(node.name)) continue;
        const y = node.className === 'InputLayer'
          ? options.preprocess ? options.preprocess(images) : images
          : ops.get(node.name)!(node.inputs.map((i) => values.get(i)!));
        values.set(node.name, y);
        if (requested.includes(node.name)) out[node.name] = y;
      }
      return out;
    });
  };

  return {
    name,
    taps,
    source: modelPath,
    features,
    dispose() {
      if (disposed) return;
      disposed = true;
      tf.dispose([...used]);
      used.clear();
    },
  };
}

function ancestors(taps: readonly string[], byName: ReadonlyMap<string, LayerNode>): Set<string> {
  const seen = new Set<string>();
  const stack = [...taps];
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    stack.push(...(byName.get(name)?.inputs ?? []));
  }
  return seen;
}

function firstUnsupported(node: LayerNode, byName: ReadonlyMap<string, LayerNode>, supported: ReadonlySet<string>): LayerNode {
  if (!LAYER_OPS[node.className]) return node;
  const parent = node.inputs.map((i) => byName.get(i)).find((p) => p && !supported.has(p.name));
  return parent ? firstUnsupported(parent, byName, supported) : node;
}
