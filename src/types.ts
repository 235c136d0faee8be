/**
 * @file Shared types: image batches, parameter trees, loss networks and the
 * architecture configs of the transform networks (SPEC sections 1, 2, 4, 5).
 */
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core';

/** float32 NHWC RGB batch with values in [0, 1] (SPEC section 1). */
export type ImageBatch = Tensor4D;

/** A flat parameter tree: dotted names (`res0.conv1.kernel`) to tensors. */
export type Params = Record<string, Tensor>;

/** The name and shape a parameter must have; what loaders validate against. */
export interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
}

/** Tap name -> feature map of shape B x H_j x W_j x C_j. */
export type FeatureMaps = Record<string, Tensor4D>;

/**
 * A frozen network that maps an image batch to named feature maps (SPEC section 2).
 * It carries its own preprocessing, so callers always pass [0, 1] RGB.
 */
export interface LossNetwork {
  /** e.g. `vgg16`, `vgg19`, `layers:darknettiny`. */
  readonly name: string;
  /** Every tap it can produce, shallowest first. */
  readonly taps: readonly string[];
  /** Where its weights came from (a path or `random(seed)`), for provenance. */
  readonly source: string;
  /**
   * Runs the network only as deep as the deepest requested tap.
   * @param images float32 NHWC in [0, 1]
   * @returns one tensor per requested tap; caller disposes.
   * @throws PerceptualError E_OPTIONS-style RangeError for an unknown tap.
   */
  features(images: ImageBatch, taps: readonly string[]): FeatureMaps;
  /** Frees the weights. */
  dispose(): void;
}

/** The style transform network's configuration (SPEC section 4). */
export interface StyleArch {
  readonly task: 'style';
  /**
   * `johnson`: this project's network (reflection padding, IN eps 1e-5,
   * output 0.5 + 0.5 tanh). `ml5`: the TensorFlow re-implementation used by the
   * ml5/deeplearn.js checkpoints (zero SAME padding, transposed convs, IN eps
   * 1e-3, input 0..255, output 150 tanh + 127.5), see SPEC section 6.
   */
  readonly variant: 'johnson' | 'ml5';
  /** Filter multiplier: 1 gives the paper's 32/64/128. */
  readonly width: number;
  readonly residualBlocks: number;
  readonly upsample: 'resize' | 'transpose';
  /**
   * Kernel size of the first conv `c1` (odd; paper and ml5 9). Smaller kernels
   * make a slim network faster: at width 0.25 the two full-resolution 9x9
   * convs with three-channel sides cost more than the residual trunk.
   */
  readonly c1Kernel: number;
  /** Kernel size of the last conv `out` (odd; paper and ml5 9). */
  readonly outKernel: number;
}

/** A super-resolution network's configuration (SPEC section 4). */
export interface SrArch {
  readonly task: 'sr';
  readonly scale: 2 | 4 | 8;
  /** Filters in the residual trunk and upsampling stages (paper: 64). */
  readonly filters: number;
  readonly residualBlocks: number;
  /**
   * The paper's log2(f) 2x stages (`resize`: nearest then 3x3 conv;
   * `transpose`: 3x3 stride-2 transposed conv) and an `out` conv at the high
   * resolution, or `shuffle`: no stages, the `out` conv at the low
   * resolution emits f*f*3 channels rearranged depth-to-space (DCR order,
   * Shi et al. 2016), so every conv runs at the low resolution.
   */
  readonly upsample: 'resize' | 'transpose' | 'shuffle';
  /** Kernel size of the first conv `c1` (odd; paper 9; default 5 for `shuffle`). */
  readonly c1Kernel: number;
  /** Kernel size of the last conv `out` (odd; paper 9; default 3 for `shuffle`, where it runs at low resolution). */
  readonly outKernel: number;
  /**
   * Global skip (a deviation from the paper, which has none): the input
   * upsampled `bicubic` (Keys a = -0.5), `bilinear`ly (both half-pixel
   * centres, edges replicated) or `nearest`, plus `0.5 tanh` of the last
   * conv, clipped to [0, 1]; `none` gives the paper's `0.5 + 0.5 tanh`.
   * The net then only learns the residual detail, which trains much faster.
   * Default `bilinear` for the paper's heads (so model files written before
   * `bicubic` existed keep their meaning), `bicubic` for `shuffle`.
   */
  readonly skip: 'bicubic' | 'bilinear' | 'nearest' | 'none';
}

export type TransformArch = StyleArch | SrArch;

/** Provenance strings stored in a model file's metadata (SPEC section 5). */
export interface ModelProvenance {
  trained_with?: string;
  loss_network?: string;
  source?: string;
}

/** A transform network: its architecture and its parameter tree. */
export interface TransformModel {
  readonly arch: TransformArch;
  readonly params: Params;
  readonly provenance: ModelProvenance;
}
