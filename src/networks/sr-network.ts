/**
 * @file The super-resolution networks (SPEC section 4; Johnson et al. 2016,
 * supplementary): `c9s1-64, R64 x4` at low resolution, log2(f) 2x upsampling
 * stages of 64 filters, `c9s1-3`. No instance norm or any other per-image
 * statistic, so each output pixel depends only on a bounded input window
 * and tiled inference is exact given enough overlap: conv + bias + ReLU
 * replaces conv + norm + ReLU. Reflection padding throughout; no stride-2
 * convs, so any input size works (tiny maps reflect repeatedly).
 *
 * Deviation (arch flag `skip`, default `bilinear`): the upsampled input is
 * added as a global skip, `y = clip(up(x) + 0.5 tanh(o), 0, 1)`, so the net
 * learns only the missing detail; `skip: 'none'` is the paper's `0.5 + 0.5 tanh(o)`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor4D } from '@tensorflow/tfjs-core';
import type { ImageBatch, Params, ParamSpec, SrArch } from '../types.js';
import { conv2dPadded } from './layers/conv.js';
import { param } from './layers/param.js';
import { runSteps, type NetworkStep, type RunStepsOptions } from './layers/sequential.js';
import { upsampleResizeConv, upsampleTranspose } from './layers/upsample.js';

/** Number of 2x upsampling stages: log2(scale). */
export function srStages(arch: SrArch): number {
  return Math.round(Math.log2(arch.scale));
}

/**
 * The parameters of an SR network, in order: `c1.kernel` [9,9,3,F], `c1.bias`,
 * `res{k}.conv1.kernel`/`.bias`, `res{k}.conv2.kernel`/`.bias`, `u{i}.kernel`
 * (HWIO, or [3,3,out,in] when transposed) and `u{i}.bias` for i = 1..log2(f),
 * `out.kernel` [9,9,F,3], `out.bias`.
 */
export function srParamSpecs(arch: SrArch): ParamSpec[] {
  const f = arch.filters;
  const specs: ParamSpec[] = [
    { name: 'c1.kernel', shape: [9, 9, 3, f] },
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
  specs.push({ name: 'out.kernel', shape: [9, 9, f, 3] }, { name: 'out.bias', shape: [3] });
  return specs;
}

/** The network as named steps: `c1`, `res0`..., `u1`..., `out` (pre-activation), `output`. */
export function srSteps(arch: SrArch, params: Params): NetworkStep[] {
  const p = (name: string): tf.Tensor => param(params, name);
  const conv = (x: Tensor4D, name: string): Tensor4D => conv2dPadded(x, p(`${name}.kernel`), 1, 'reflect', p(`${name}.bias`));
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
            ? upsampleTranspose(x, p(`${name}.kernel`), p(`${name}.bias`))
            : upsampleResizeConv(x, p(`${name}.kernel`), 'reflect', p(`${name}.bias`)),
        ),
    });
  }
  steps.push({ name: 'out', run: (x) => conv(x, 'out') });
  steps.push({
    name: 'output',
    run: (o, input) => {
      if (arch.skip === 'none') return tf.add(tf.mul(tf.tanh(o), 0.5), 0.5);
      const [, h, w] = input.shape;
      const size: [number, number] = [h * arch.scale, w * arch.scale];
      // Half-pixel centres keep the upsampled grid aligned with the bicubic downsampling of SPEC section 4.
      const up = arch.skip === 'bilinear' ? tf.image.resizeBilinear(input, size, false, true) : tf.image.resizeNearestNeighbor(input, size, false, false);
      return tf.clipByValue(tf.add(up, tf.mul(tf.tanh(o), 0.5)), 0, 1) as Tensor4D;
    },
  });
  return steps;
}

/**
 * Runs an SR network.
 * @param images float32 NHWC [B, h, w, 3] in [0, 1], any size
 * @returns float32 NHWC [B, f h, f w, 3] in [0, 1]; caller disposes.
 */
export function srNetwork(arch: SrArch, params: Params, images: ImageBatch, options: RunStepsOptions = {}): Tensor4D {
  return runSteps(srSteps(arch, params), images, options);
}
