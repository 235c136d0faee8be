/**
 * @file The one entry point that runs any transform network (style or SR,
 * SPEC section 4) on an image batch, dispatching on `arch.task`.
 */
import type { Tensor4D } from '@tensorflow/tfjs-core';
import { tensorShapeError } from '../errors.js';
import type { ImageBatch, ParamSpec, TransformArch, TransformModel } from '../types.js';
import { srNetwork, srParamSpecs } from './sr-network.js';
import { styleNetwork, styleParamSpecs } from './style-network.js';

/** Options of `transform`. */
export interface TransformOptions {
  /**
   * Memory-lean forward: each layer runs in its own `tidy` and its input is
   * disposed at once, so only about two layers' activations live at a time.
   * The result carries no usable gradient path: leave it false (the default)
   * inside `tf.variableGrads`; set it for inference on large images.
   */
  readonly lean?: boolean;
}

/**
 * The ordered parameter specs of a (resolved) arch: what initParams creates
 * and what model files and importers are checked against.
 */
export function transformParamSpecs(arch: TransformArch): ParamSpec[] {
  return arch.task === 'style' ? styleParamSpecs(arch) : srParamSpecs(arch);
}

/** Alias of transformParamSpecs. */
export const paramSpecs = transformParamSpecs;

/**
 * Runs a transform network.
 * @param images float32 NHWC [B, H, W, 3] RGB in [0, 1]
 * @returns float32 NHWC in [0, 1]: [B, H, W, 3] for style, [B, fH, fW, 3] for SR; caller disposes.
 * @throws PerceptualError E_TENSOR_SHAPE when images is not rank-4 NHWC with 3 channels
 * @example
 * const stylised = transform(await loadModel('wave.safetensors'), batch, { lean: true });
 */
export function transform(model: TransformModel, images: ImageBatch, options: TransformOptions = {}): Tensor4D {
  const shape = images.shape as readonly number[];
  if (shape.length !== 4 || shape[3] !== 3 || shape.slice(0, 3).some((d) => d < 1)) {
    throw tensorShapeError('images', 'transform', 'rank 4 NHWC with 3 channels (RGB) and non-empty B, H, W', shape);
  }
  const run = { lean: options.lean ?? false };
  return model.arch.task === 'style' ? styleNetwork(model.arch, model.params, images, run) : srNetwork(model.arch, model.params, images, run);
}
