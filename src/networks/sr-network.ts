/**
 * @file The super-resolution networks (SPEC section 4; Johnson et al. 2016,
 * supplementary): `c9s1-64, R64 x4` at low resolution, log2(f) 2x upsampling
 * stages of 64 filters, `c9s1-3`. No instance norm or any other per-image
 * statistic, so each output pixel depends only on a bounded input window
 * and tiled inference is exact given enough overlap: conv + bias + ReLU
 * replaces conv + norm + ReLU. Reflection padding throughout; no stride-2
 * convs, so any input size works (tiny maps reflect repeatedly).
 *
 * `upsample: 'shuffle'` (the sub-pixel head SPEC section 4 allows) drops the
 * upsampling stages: `c5s1-F, RF x n, c3s1-(f*f*3)` all at low resolution,
 * then depth-to-space. At x4 the paper's head does about 3x the trunk's
 * multiply-adds at 2x and 4x resolution; this one does none there.
 *
 * Deviation (arch flag `skip`): the upsampled input is added as a global
 * skip, `y = clip(up(x) + 0.5 tanh(o), 0, 1)`, so the net learns only the
 * missing detail; `skip: 'none'` is the paper's `0.5 + 0.5 tanh(o)`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor4D } from '@tensorflow/tfjs-core';
import type { ImageBatch, Params, ParamSpec, SrArch } from '../types.js';
import { chosenExecution, wholeImagePadding, type ExecutionOptions, type MapPadding } from './execution.js';
import { conv2dPadded } from './layers/conv.js';
import { param } from './layers/param.js';
import { bicubicUpsampleTf, depthToSpace } from './layers/pixel-shuffle.js';
import { runSteps, type NetworkStep } from './layers/sequential.js';
import { halfTanh, unitTanh } from './layers/tanh-output.js';
import { upsampleResizeConv, upsampleTranspose } from './layers/upsample.js';

/** Number of 2x upsampling stages: log2(scale), none for the sub-pixel head. */
export function srStages(arch: SrArch): number {
  return arch.upsample === 'shuffle' ? 0 : Math.round(Math.log2(arch.scale));
}

/** Channels of the `out` conv: RGB, or f*f RGB phases for the sub-pixel head. */
export function srOutChannels(arch: SrArch): number {
  return arch.upsample === 'shuffle' ? arch.scale * arch.scale * 3 : 3;
}

/**
 * The parameters of an SR network, in order: `c1.kernel` [K1,K1,3,F], `c1.bias`,
 * `res{k}.conv1.kernel`/`.bias`, `res{k}.conv2.kernel`/`.bias`, `u{i}.kernel`
 * (HWIO, or [3,3,out,in] when transposed) and `u{i}.bias` for i = 1..srStages,
 * `out.kernel` [Ko,Ko,F,srOutChannels], `out.bias`.
 */
export function srParamSpecs(arch: SrArch): ParamSpec[] {
  const f = arch.filters;
  const specs: ParamSpec[] = [
    { name: 'c1.kernel', shape: [arch.c1Kernel, arch.c1Kernel, 3, f] },
    { name: 'c1.bias', shape: [f] },
  ];
  for (let k = 0; k < arch.residualBlocks; k++) {
    specs.push(
      { name: `res${k}.conv1.kernel`, shape: [3, 3, f, f] },
      { name: `res${k}.conv1.bias`, shape: [f] },
      { name: `res${k}.conv2.kernel`, shape: [3, 3, f, f] },
      { name: `res${k}.conv2.bias`, shape: [f] },
    );
  }
  for (let i = 1; i <= srStages(arch); i++) {
    specs.push({ name: `u${i}.kernel`, shape: [3, 3, f, f] }, { name: `u${i}.bias`, shape: [f] });
  }
  const out = srOutChannels(arch);
  specs.push({ name: 'out.kernel', shape: [arch.outKernel, arch.outKernel, f, out] }, { name: 'out.bias', shape: [out] });
  return specs;
}

/**
 * The network as named steps: `c1`, `res0`..., `u1`..., `out` (pre-activation, at the high resolution), `output`.
 * @param execution where each conv's border comes from (src/networks/execution.ts; SR has no norms); default: the whole image's edge
 */
export function srSteps(arch: SrArch, params: Params, execution: MapPadding = wholeImagePadding): NetworkStep[] {
  const p = (name: string): tf.Tensor => param(params, name);
  const conv = (x: Tensor4D, name: string): Tensor4D => conv2dPadded(x, p(`${name}.kernel`), 1, 'reflect', p(`${name}.bias`), execution);
  const steps: NetworkStep[] = [{ name: 'c1', run: (x) => tf.relu(conv(x, 'c1')) }];
  for (let k = 0; k < arch.residualBlocks; k++) {
    const r = `res${k}`;
    steps.push({ name: r, run: (x) => tf.add(x, conv(tf.relu(conv(x, `${r}.conv1`)), `${r}.conv2`)) });
  }
  for (let i = 1; i <= srStages(arch); i++) {
    const name = `u${i}`;
    steps.push({
      name,
      run: (x) =>
        tf.relu(
          arch.upsample === 'transpose'
            ? upsampleTranspose(x, p(`${name}.kernel`), p(`${name}.bias`), execution)
            : upsampleResizeConv(x, p(`${name}.kernel`), 'reflect', p(`${name}.bias`), execution),
        ),
    });
  }
  steps.push({ name: 'out', run: (x) => (arch.upsample === 'shuffle' ? depthToSpace(conv(x, 'out'), arch.scale) : conv(x, 'out')) });
  steps.push({
    name: 'output',
    run: (o, input) => {
      if (arch.skip === 'none') return unitTanh(o);
      return tf.clipByValue(tf.add(skipUpsample(arch, input), halfTanh(o)), 0, 1) as Tensor4D;
    },
  });
  return steps;
}

/** The global skip: the input upsampled by `arch.scale` as `arch.skip` says (not 'none'). */
function skipUpsample(arch: SrArch, input: Tensor4D): Tensor4D {
  if (arch.skip === 'bicubic') return bicubicUpsampleTf(input, arch.scale);
  const [, h, w] = input.shape;
  const size: [number, number] = [h * arch.scale, w * arch.scale];
  // Half-pixel centres keep the upsampled grid aligned with the downsampling of SPEC section 4.
  return arch.skip === 'bilinear' ? tf.image.resizeBilinear(input, size, false, true) : tf.image.resizeNearestNeighbor(input, size, false, false);
}

/**
 * Options of srNetwork: how it runs (src/networks/execution.ts; default
 * differentiableExecution, for training; leanExecution (`lean`) for inference), and where to stop.
 */
export interface SrNetworkOptions extends ExecutionOptions {
  /** Stop after the step of this name and return its output (inspection and tests). */
  readonly until?: string;
}

/**
 * Runs an SR network. A non-differentiable execution runs memory-lean: each
 * step in its own tidy, its input disposed at once.
 * @param images float32 NHWC [B, h, w, 3] in [0, 1], any size
 * @returns float32 NHWC [B, f h, f w, 3] in [0, 1]; caller disposes.
 */
export function srNetwork(arch: SrArch, params: Params, images: ImageBatch, options: SrNetworkOptions = {}): Tensor4D {
  const execution = chosenExecution(options);
  return runSteps(srSteps(arch, params, execution), images, { lean: !execution.differentiable, ...(options.until !== undefined ? { until: options.until } : {}) });
}
