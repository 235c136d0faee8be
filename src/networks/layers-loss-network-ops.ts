/**
 * @file The Keras layer types that loadLayersLossNetwork runs, each as plain
 * tfjs-core ops on frozen tensors, and the parser of the Keras topology
 * (functional `Model`/`Functional` with inbound nodes, or `Sequential`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { perceptualError } from '../errors.js';

/** One layer of the topology with the names of the layers feeding it. */
export interface LayerNode {
  readonly name: string;
  readonly className: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly inputs: readonly string[];
}

type Weight = (param: string, required?: boolean) => tf.Tensor | undefined;
/** Binds a layer's config and weights; returns its forward function (inside the caller's tidy). */
type LayerFactory = (node: LayerNode, weight: Weight, source: string) => (inputs: tf.Tensor4D[]) => tf.Tensor4D;

function formatError(source: string, node: LayerNode, problem: string): never {
  throw perceptualError('E_MODEL_FORMAT', `${source}: layer ${node.name} (${node.className}) ${problem}. Re-export the model with channels_last layers.`);
}

function pair(value: unknown, fallback: number): [number, number] {
  if (typeof value === 'number') return [value, value];
  if (Array.isArray(value) && value.length === 2) return [Number(value[0]), Number(value[1])];
  return [fallback, fallback];
}

function padding(node: LayerNode, source: string): 'same' | 'valid' {
  const p = node.config.padding ?? 'valid';
  if (p !== 'same' && p !== 'valid') formatError(source, node, `has padding ${JSON.stringify(p)}`);
  return p;
}

function channelsLast(node: LayerNode, source: string): void {
  const format = node.config.data_format;
  if (format !== undefined && format !== null && format !== 'channels_last') formatError(source, node, `uses data_format ${JSON.stringify(format)}`);
}

/** Keras activation names to core ops. */
const ACTIVATIONS: Readonly<Record<string, (x: tf.Tensor4D) => tf.Tensor4D>> = Object.freeze({
  linear: (x) => x,
  relu: (x) => tf.relu(x),
  relu6: (x) => tf.relu6(x),
  elu: (x) => tf.elu(x),
  selu: (x) => tf.selu(x),
  sigmoid: (x) => tf.sigmoid(x),
  tanh: (x) => tf.tanh(x),
  softplus: (x) => tf.softplus(x),
  swish: (x) => tf.mul(x, tf.sigmoid(x)),
});

function activation(node: LayerNode, source: string, name: unknown = node.config.activation ?? 'linear'): (x: tf.Tensor4D) => tf.Tensor4D {
  const f = ACTIVATIONS[String(name)];
  if (!f) formatError(source, node, `has activation ${JSON.stringify(name)} (supported: ${Object.keys(ACTIVATIONS).join(', ')})`);
  return f;
}

const identity: LayerFactory = () => ([x]) => x!;

const pool = (kind: 'max' | 'avg'): LayerFactory => (node, _weight, source) => {
  channelsLast(node, source);
  const size = pair(node.config.pool_size, 2);
  const strides = pair(node.config.strides ?? node.config.pool_size, 2);
  const pad = padding(node, source);
  return ([x]) => (kind === 'max' ? tf.maxPool(x!, size, strides, pad) : tf.avgPool(x!, size, strides, pad));
};

/** Every layer type we run, keyed by Keras class name. */
export const LAYER_OPS: Readonly<Record<string, LayerFactory>> = Object.freeze({
  InputLayer: identity,
  Dropout: identity,
  SpatialDropout2D: identity,
  GaussianNoise: identity,
  Conv2D: (node, weight, source) => {
    channelsLast(node, source);
    const kernel = weight('kernel') as tf.Tensor4D;
    const bias = node.config.use_bias === false ? undefined : weight('bias', false);
    if (kernel.rank !== 4 || kernel.shape[3] !== node.config.filters) {
      throw perceptualError('E_WEIGHTS_MISMATCH', `${source}: ${node.name}/kernel has shape [${kernel.shape.join(',')}], expected [kh,kw,in,${node.config.filters}]. Re-export the model.`);
    }
    const strides = pair(node.config.strides, 1);
    const dilations = pair(node.config.dilation_rate, 1);
    const pad = padding(node, source);
    const act = activation(node, source);
    return ([x]) => {
      const y = tf.conv2d(x!, kernel, strides, pad, 'NHWC', dilations);
      return act(bias ? tf.add(y, bias) : y);
    };
  },
  DepthwiseConv2D: (node, weight, source) => {
    channelsLast(node, source);
    const kernel = weight('depthwise_kernel') as tf.Tensor4D;
    const bias = node.config.use_bias === false ? undefined : weight('bias', false);
    const strides = pair(node.config.strides, 1);
    const pad = padding(node, source);
    const act = activation(node, source);
    return ([x]) => {
      const y = tf.depthwiseConv2d(x!, kernel, strides, pad, 'NHWC', pair(node.config.dilation_rate, 1));
      return act(bias ? tf.add(y, bias) : y);
    };
  },
  BatchNormalization: (node, weight, source) => {
    const axis = node.config.axis;
    if (axis !== undefined && axis !== -1 && axis !== 3 && !(Array.isArray(axis) && (axis[0] === -1 || axis[0] === 3))) formatError(source, node, `normalises axis ${JSON.stringify(axis)}`);
    const epsilon = Number(node.config.epsilon ?? 1e-3);
    const mean = weight('moving_mean')!;
    const variance = weight('moving_variance')!;
    const gamma = node.config.scale === false ? undefined : weight('gamma');
    const beta = node.config.center === false ? undefined : weight('beta');
    // Inference mode: y = (x - mean) / sqrt(var + eps) * gamma + beta, with the moving statistics.
    return ([x]) => tf.batchNorm(x!, mean, variance, beta, gamma, epsilon) as tf.Tensor4D;
  },
  LeakyReLU: (node) => {
    const alpha = Number(node.config.alpha ?? node.config.negative_slope ?? 0.3);
    return ([x]) => tf.leakyRelu(x!, alpha);
  },
  ReLU: (node) => {
    const max = node.config.max_value;
    const slope = Number(node.config.negative_slope ?? 0);
    return ([x]) => {
      const y = slope === 0 ? tf.relu(x!) : tf.leakyRelu(x!, slope);
      return typeof max === 'number' ? (tf.minimum(y, max) as tf.Tensor4D) : y;
    };
  },
  Activation: (node, _weight, source) => {
    const f = activation(node, source);
    return ([x]) => f(x!);
  },
  MaxPooling2D: pool('max'),
  AveragePooling2D: pool('avg'),
  ZeroPadding2D: (node) => {
    const p = node.config.padding;
    const [vertical, horizontal] = pair(p, 1);
    const [[top, bottom], [left, right]] = Array.isArray(p) && Array.isArray(p[0]) ? (p as [[number, number], [number, number]]) : [[vertical, vertical], [horizontal, horizontal]];
    return ([x]) => tf.pad(x!, [[0, 0], [top, bottom], [left, right], [0, 0]]);
  },
  /** Outputs [B, 1, 1, C] (not Keras's [B, C]) so that every tap is a 4D feature map. */
  GlobalAveragePooling2D: () => ([x]) => tf.mean(x!, [1, 2], true) as tf.Tensor4D,
  GlobalMaxPooling2D: () => ([x]) => tf.max(x!, [1, 2], true) as tf.Tensor4D,
  Add: () => (inputs) => tf.addN(inputs) as tf.Tensor4D,
  Multiply: () => (inputs) => inputs.reduce((a, b) => tf.mul(a, b)),
  Concatenate: (node, _weight, source) => {
    const axis = node.config.axis ?? -1;
    if (axis !== -1 && axis !== 3) formatError(source, node, `concatenates on axis ${JSON.stringify(axis)}`);
    return (inputs) => tf.concat(inputs, 3);
  },
});

/**
 * Reads the layer graph from a model.json `modelTopology`: Keras 2 style
 * (`{model_config: {class_name, config}}`) or bare (`{class_name, config}`).
 * @throws PerceptualError E_MODEL_FORMAT naming the file
 */
export function parseTopology(topology: unknown, source: string): LayerNode[] {
  const root = (topology as { model_config?: unknown })?.model_config ?? topology;
  const { class_name: className, config } = (root ?? {}) as { class_name?: string; config?: unknown };
  const layers = (Array.isArray(config) ? config : (config as { layers?: unknown })?.layers) as { name?: string; class_name?: string; config?: Record<string, unknown>; inbound_nodes?: unknown[] }[] | undefined;
  if (!className || !Array.isArray(layers)) {
    throw perceptualError('E_MODEL_FORMAT', `${source}: modelTopology is not a Keras layers model (no class_name/config.layers). Pass a tfjs layers model (tensorflowjs_converter --output_format tfjs_layers_model), not a graph model.`);
  }
  const sequential = className === 'Sequential';
  const nodes: LayerNode[] = [];
  layers.forEach((layer, index) => {
    const name = layer.name ?? String(layer.config?.name ?? `layer_${index}`);
    let inputs: string[];
    if (sequential) {
      inputs = index === 0 ? [] : [nodes[index - 1]!.name];
      if (index === 0 && layer.class_name !== 'InputLayer') {
        nodes.push({ name: `${name}_input`, className: 'InputLayer', config: {}, inputs: [] });
        inputs = [`${name}_input`];
      }
    } else {
      inputs = inboundNames(layer.inbound_nodes);
    }
    nodes.push({ name, className: layer.class_name ?? '?', config: layer.config ?? {}, inputs });
  });
  if (nodes.length > 0 && !nodes.some((n) => n.className === 'InputLayer')) {
    throw perceptualError('E_MODEL_FORMAT', `${source}: the model has no InputLayer. Re-export it with an input shape.`);
  }
  return nodes;
}

/** Keras 2 `[[["name", 0, 0, {}]]]` or Keras 3 `[{args: [{config: {keras_history: ["name", 0, 0]}}]}]`. */
function inboundNames(inbound: unknown[] | undefined): string[] {
  const first = inbound?.[0];
  if (!first) return [];
  if (Array.isArray(first)) return first.map((entry) => String((entry as unknown[])[0]));
  const names: string[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') {
      const history = (value as { config?: { keras_history?: unknown[] } }).config?.keras_history;
      if (Array.isArray(history)) names.push(String(history[0]));
      else Object.values(value).forEach(visit);
    }
  };
  visit((first as { args?: unknown }).args ?? first);
  return names;
}
