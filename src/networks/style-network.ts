/**
 * @file The style transform network (SPEC section 4): `c9s1-32, d64, d128,
 * R128 x5, u64, u32, c9s1-3` with instance norm, and its `ml5` variant that
 * reproduces the ml5/deeplearn.js checkpoints exactly (SPEC section 6,
 * FORMAT.md section 3).
 *
 * | variant | padding | IN eps | upsampling | input | output |
 * | --- | --- | --- | --- | --- | --- |
 * | johnson | reflection | 1e-5 | resize-conv or transposed | x | out conv + bias, 0.5 + 0.5 tanh |
 * | ml5 | zero SAME | 1e-3 | transposed | 255 x | out conv + IN, clip(150 tanh + 127.5, 0, 255) / 255 |
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor4D } from '@tensorflow/tfjs-core';
import type { ImageBatch, Params, ParamSpec, StyleArch } from '../types.js';
import { styleChannels } from './arch.js';
import { chosenExecution, differentiableExecution, type ExecutionOptions, type NetworkExecution } from './execution.js';
import { conv2dPadded, type ConvPadding } from './layers/conv.js';
import { param } from './layers/param.js';
import { reflectionPad } from './layers/reflection-pad.js';
import { runSteps, type NetworkStep } from './layers/sequential.js';
import { unitTanh } from './layers/tanh-output.js';
import { upsampleResizeConv, upsampleTranspose } from './layers/upsample.js';

/** Instance-norm epsilon per variant (FORMAT.md section 3 for ml5). */
export const STYLE_IN_EPSILON = Object.freeze({ johnson: 1e-5, ml5: 1e-3 } as const);

function normSpecs(prefix: string, channels: number): ParamSpec[] {
  return [
    { name: `${prefix}.gamma`, shape: [channels] },
    { name: `${prefix}.beta`, shape: [channels] },
  ];
}

/**
 * The parameters of a style network, in a fixed order: `c1`, `d1`, `d2`
 * (`.kernel` HWIO, `.norm.gamma`, `.norm.beta`), `res{k}.conv1.kernel`,
 * `res{k}.norm1.*`, `res{k}.conv2.kernel`, `res{k}.norm2.*`, `u1`, `u2`
 * (kernel HWIO for resize-conv, [3, 3, out, in] for transposed), then
 * `out.kernel` and `out.bias` (johnson) or `out.norm.*` (ml5).
 */
export function styleParamSpecs(arch: StyleArch): ParamSpec[] {
  const [c32, c64, c128] = styleChannels(arch);
  const upKernel = (cin: number, cout: number): number[] => (arch.upsample === 'transpose' ? [3, 3, cout, cin] : [3, 3, cin, cout]);
  const specs: ParamSpec[] = [
    { name: 'c1.kernel', shape: [arch.c1Kernel, arch.c1Kernel, 3, c32] },
    ...normSpecs('c1.norm', c32),
    { name: 'd1.kernel', shape: [3, 3, c32, c64] },
    ...normSpecs('d1.norm', c64),
    { name: 'd2.kernel', shape: [3, 3, c64, c128] },
    ...normSpecs('d2.norm', c128),
  ];
  for (let k = 0; k < arch.residualBlocks; k++) {
    specs.push(
      { name: `res${k}.conv1.kernel`, shape: [3, 3, c128, c128] },
      ...normSpecs(`res${k}.norm1`, c128),
      { name: `res${k}.conv2.kernel`, shape: [3, 3, c128, c128] },
      ...normSpecs(`res${k}.norm2`, c128),
    );
  }
  specs.push(
    { name: 'u1.kernel', shape: upKernel(c128, c64) },
    ...normSpecs('u1.norm', c64),
    { name: 'u2.kernel', shape: upKernel(c64, c32) },
    ...normSpecs('u2.norm', c32),
    { name: 'out.kernel', shape: [arch.outKernel, arch.outKernel, c32, 3] },
  );
  if (arch.variant === 'ml5') specs.push(...normSpecs('out.norm', 3));
  else specs.push({ name: 'out.bias', shape: [3] });
  return specs;
}

/**
 * The network as named steps: `input` (ml5 only: x 255), `c1`, `d1`, `d2`,
 * `res0`..., `u1`, `u2`, `out` (the pre-activation o) and `output` (in [0, 1]).
 * Steps expect H and W divisible by 4 (styleNetwork pads for them).
 * @param execution how every conv pads and every instance norm gets its statistics
 *   (src/networks/execution.ts); default: training's, differentiable, each norm from its own input
 */
export function styleSteps(arch: StyleArch, params: Params, execution: NetworkExecution = differentiableExecution): NetworkStep[] {
  const padding: ConvPadding = arch.variant === 'ml5' ? 'same' : 'reflect';
  const epsilon = STYLE_IN_EPSILON[arch.variant];
  const p = (name: string): tf.Tensor => param(params, name);
  const conv = (x: Tensor4D, name: string, stride: 1 | 2 = 1, bias?: tf.Tensor): Tensor4D => conv2dPadded(x, p(`${name}.kernel`), stride, padding, bias, execution);
  const norm = (x: Tensor4D, name: string, relu = false): Tensor4D =>
    execution.norm(x, { name, gamma: p(`${name}.gamma`), beta: p(`${name}.beta`), epsilon }, relu);
  const convNormRelu = (name: string, stride: 1 | 2): NetworkStep => ({ name, run: (x) => norm(conv(x, name, stride), `${name}.norm`, true) });
  const up = (name: string): NetworkStep => ({
    name,
    run: (x) => {
      const y =
        arch.upsample === 'transpose'
          ? upsampleTranspose(x, p(`${name}.kernel`), undefined, execution)
          : upsampleResizeConv(x, p(`${name}.kernel`), padding, undefined, execution);
      return norm(y, `${name}.norm`, true);
    },
  });
  const steps: NetworkStep[] = [];
  // ml5 checkpoints were trained on raw 0..255 pixels (FORMAT.md section 3).
  if (arch.variant === 'ml5') steps.push({ name: 'input', run: (x) => tf.mul(x, 255) });
  steps.push(convNormRelu('c1', 1), convNormRelu('d1', 2), convNormRelu('d2', 2));
  for (let k = 0; k < arch.residualBlocks; k++) {
    const r = `res${k}`;
    steps.push({
      name: r,
      // conv-IN-ReLU-conv-IN plus the input, no ReLU after the sum (SPEC section 4).
      run: (x) => {
        const t = norm(conv(x, `${r}.conv1`), `${r}.norm1`, true);
        return tf.add(x, norm(conv(t, `${r}.conv2`), `${r}.norm2`));
      },
    });
  }
  steps.push(up('u1'), up('u2'));
  steps.push({
    name: 'out',
    run: (x) => (arch.variant === 'ml5' ? norm(conv(x, 'out'), 'out.norm') : conv(x, 'out', 1, p('out.bias'))),
  });
  steps.push({
    name: 'output',
    run: (o) =>
      arch.variant === 'ml5'
        ? tf.div(tf.clipByValue(tf.add(tf.mul(tf.tanh(o), 150), 127.5), 0, 255), 255)
        : unitTanh(o),
  });
  return steps;
}

/**
 * Options of styleNetwork: how it runs (src/networks/execution.ts; default
 * differentiableExecution, for training; leanExecution (`lean`) for whole-image
 * inference; tiled inference's), and where to stop.
 */
export interface StyleNetworkOptions extends ExecutionOptions {
  /** Stop after the step of this name and return its output, of the padded image (inspection and tests). */
  readonly until?: string;
}

/**
 * Runs the style network. Sizes not divisible by 4 are reflection-padded at
 * the bottom/right to the next multiple of 4 and cropped back (SPEC section 4).
 * A non-differentiable execution runs memory-lean: each step in its own tidy,
 * its input disposed at once (no gradients through the result).
 * @param images float32 NHWC [B, H, W, 3] in [0, 1]
 * @returns float32 NHWC [B, H, W, 3] in [0, 1]; caller disposes.
 */
export function styleNetwork(arch: StyleArch, params: Params, images: ImageBatch, options: StyleNetworkOptions = {}): Tensor4D {
  const execution = chosenExecution(options);
  const steps = styleSteps(arch, params, execution);
  const run = { lean: !execution.differentiable, ...(options.until !== undefined ? { until: options.until } : {}) };
  const [, h, w] = images.shape;
  const padH = (4 - (h % 4)) % 4;
  const padW = (4 - (w % 4)) % 4;
  const forward = (): Tensor4D => {
    const padded = padH || padW ? reflectionPad(images, [0, padH], [0, padW]) : images;
    let out: Tensor4D;
    try {
      out = runSteps(steps, padded, run);
    } finally {
      if (padded !== images) padded.dispose();
    }
    if ((!padH && !padW) || options.until !== undefined) return out;
    const cropped = tf.slice(out, [0, 0, 0, 0], [-1, h, w, -1]);
    out.dispose();
    return cropped;
  };
  return execution.differentiable ? tf.tidy(forward) : forward();
}
