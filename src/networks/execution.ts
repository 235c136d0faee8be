/**
 * @file How a transform network is run, kept out of the network definitions:
 * the networks (style-network.ts, sr-network.ts) say which layers there are,
 * and an execution says how each conv gets the border of its input and where
 * each instance norm takes its statistics from. Two executions live here,
 * both over the whole image: training (differentiable) and lean inference;
 * tiled inference (record, apply or accumulate statistics:
 * src/infer/tile-execution.ts) and row bands (one image across workers:
 * src/infer/band-execution.ts) bring their own.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor4D } from '@tensorflow/tfjs-core';
import { inferenceNorm, instanceNorm, type NormLayer } from './layers/instance-norm.js';
import { reflectionPad } from './layers/reflection-pad.js';

/**
 * What lies beyond the edge of the image: `reflect` (`x[-1] = x[1]`, SPEC
 * section 4), `symmetric` (`x[-1] = x[0]`: the folded resize-conv's
 * low-resolution view of a reflected upsampled map) or `zero` (TF 'SAME').
 */
export type PadEdge = 'reflect' | 'symmetric' | 'zero';

/** Rows above and below, columns left and right of a map. */
export interface Border {
  readonly top: number;
  readonly bottom: number;
  readonly left: number;
  readonly right: number;
}

/** The part of an execution a conv layer needs: the border of its input. */
export interface MapPadding {
  /**
   * `x` with `border` around it: what lies there in the whole image (the
   * image's own edge padded as `edge` says, or the rows of a neighbouring
   * band). Caller disposes (an empty border may return `x` itself).
   */
  pad(x: Tensor4D, border: Border, edge: PadEdge): Tensor4D;
  /**
   * A VALID convolution of `x` with `border` around it: what
   * `tf.conv2d(pad(x, border, edge), kernel, stride, 'valid')` computes,
   * without the padded copy where the execution can leave the border to the
   * conv kernel. Caller disposes.
   */
  conv(x: Tensor4D, kernel: Tensor4D, stride: 1 | 2, border: Border, edge: PadEdge): Tensor4D;
}

/** One way of running a transform network; every layer asks it how to pad and how to normalise. */
export interface NetworkExecution extends MapPadding {
  /**
   * Gradients must flow through the result: the network runs in one tidy
   * (what tf.variableGrads needs). False: each step runs in its own tidy and
   * its input is disposed once used (src/networks/layers/sequential.ts).
   */
  readonly differentiable: boolean;
  /**
   * Instance norm of `layer` over `x` (statistics per image and channel, from
   * wherever this execution takes them), then ReLU when `relu`. Caller disposes.
   */
  norm(x: Tensor4D, layer: NormLayer, relu: boolean): Tensor4D;
}

/**
 * Pads the whole map: reflection (repeated on maps too small for one,
 * src/networks/layers/reflection-pad.ts), symmetric mirroring or zeros.
 * @returns `x` itself for an empty border, else a new tensor; caller disposes what is new.
 */
export function padWholeMap(x: Tensor4D, border: Border, edge: PadEdge): Tensor4D {
  const { top, bottom, left, right } = border;
  if (top === 0 && bottom === 0 && left === 0 && right === 0) return x;
  if (edge === 'reflect') return reflectionPad(x, [top, bottom], [left, right]);
  const paddings: Array<[number, number]> = [[0, 0], [top, bottom], [left, right], [0, 0]];
  return edge === 'zero' ? tf.pad(x, paddings) : tf.mirrorPad(x, paddings, 'symmetric');
}

/**
 * TensorFlow's 'SAME' zero border of an NHWC map for a kh x kw kernel at
 * `stride`: ceil(size / stride) outputs per axis, each axis's total pad split
 * with the smaller half first (what tfjs computes for `pad: 'same'`).
 */
export function sameBorder(shape: readonly number[], kh: number, kw: number, stride: number): Border {
  const total = (size: number, k: number): number => Math.max((Math.ceil(size / stride) - 1) * stride + k - size, 0);
  const rows = total(shape[1]!, kh);
  const cols = total(shape[2]!, kw);
  return { top: Math.floor(rows / 2), bottom: rows - Math.floor(rows / 2), left: Math.floor(cols / 2), right: cols - Math.floor(cols / 2) };
}

/** A VALID conv of the whole map with `border` around it; a TF 'SAME' zero border is left to the conv kernel (no padded copy). */
export function convWholeMap(x: Tensor4D, kernel: Tensor4D, stride: 1 | 2, border: Border, edge: PadEdge): Tensor4D {
  if (edge === 'zero') {
    const same = sameBorder(x.shape, kernel.shape[0], kernel.shape[1], stride);
    if (same.top === border.top && same.bottom === border.bottom && same.left === border.left && same.right === border.right) return tf.conv2d(x, kernel, stride, 'same');
  }
  const padded = padWholeMap(x, border, edge);
  try {
    return tf.conv2d(padded, kernel, stride, 'valid');
  } finally {
    if (padded !== x) padded.dispose();
  }
}

/** The whole image's own edge: what layers called without an execution use. */
export const wholeImagePadding: MapPadding = Object.freeze({ pad: padWholeMap, conv: convWholeMap });

/** Training: the whole image, every op differentiable (statistics included), each norm from its own input. */
export const differentiableExecution: NetworkExecution = Object.freeze({
  differentiable: true,
  ...wholeImagePadding,
  norm(x: Tensor4D, layer: NormLayer, relu: boolean): Tensor4D {
    return tf.tidy(() => {
      const y = instanceNorm(x, layer.gamma, layer.beta, layer.epsilon);
      return relu ? tf.relu(y) : y;
    });
  },
});

/** Inference on the whole image: no gradients, each norm from its own input through the fused kernel where the backend has one. */
export const leanExecution: NetworkExecution = Object.freeze({
  differentiable: false,
  ...wholeImagePadding,
  norm: (x: Tensor4D, layer: NormLayer, relu: boolean): Tensor4D => inferenceNorm(x, layer, relu),
});

/** The execution-choosing options of the network runners (styleNetwork, srNetwork). */
export interface ExecutionOptions {
  /** How the network runs; default: leanExecution when `lean`, else differentiableExecution. */
  readonly execution?: NetworkExecution;
  /** Shorthand for `execution: leanExecution` (memory-lean whole-image inference, no gradients). */
  readonly lean?: boolean;
}

/** The execution `options` choose. */
export function chosenExecution(options: ExecutionOptions): NetworkExecution {
  return options.execution ?? (options.lean ? leanExecution : differentiableExecution);
}
