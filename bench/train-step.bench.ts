/**
 * @file Times one style-transfer training step (transform network forward
 * and backward, VGG-16 perceptual loss with seeded random weights, Adam
 * update) on each backend, at the paper's batch 4 x 256 x 256 by default, and
 * prints medians with the backend and machine.
 *
 * Run: node --import tsx bench/train-step.bench.ts [--backends wasm,cpu] [--size 256] [--batch 4] [--steps 3] [--width 1]
 */
import { cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { resolvePerceptualLossOptions, styleTargets } from '../src/losses/perceptual.js';
import { resolveStyleArch } from '../src/networks/arch.js';
import { initParams } from '../src/networks/init.js';
import { createVgg, randomVggWeights } from '../src/networks/vgg.js';
import { selectBackend } from '../src/runtime/index.js';
import { TASK_DEFAULTS } from '../src/train/train-options.js';
import { trainStep } from '../src/train/train-step.js';
import { argument, median } from './bench-args.js';

const backends = argument('backends', 'wasm,cpu').split(',');
const size = Number(argument('size', '256'));
const batch = Number(argument('batch', '4'));
const steps = Number(argument('steps', '3'));
const width = Number(argument('width', '1'));
console.log(`train step: style, batch ${batch} x ${size}x${size}, width ${width}, VGG-16 random weights; ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}`);
for (const backend of backends) {
  const runtime = await selectBackend({ backend, purpose: 'train' });
  const network = createVgg(randomVggWeights('vgg16', 0));
  const loss = resolvePerceptualLossOptions(TASK_DEFAULTS.style.loss, network.taps);
  const arch = resolveStyleArch({ width });
  const initial = initParams(arch, 0);
  const variables = Object.fromEntries(Object.entries(initial).map(([k, v]) => [k, tf.variable(v, true, `bench-${backend}/${k}`)]));
  tf.dispose(Object.values(initial));
  const style = tf.randomUniform([1, size, size, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const styleGrams = styleTargets(network, style, loss.styleLayers);
  const optimizer = tf.train.adam(1e-3);
  const content = tf.randomUniform([batch, size, size, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
  const times: number[] = [];
  for (let i = 0; i <= steps; i++) {
    const t0 = performance.now();
    await trainStep({ arch, variables, network, loss, styleGrams, optimizer }, content, content, i);
    if (i > 0) times.push(performance.now() - t0); // step 0 warms up (kernel setup, Adam slots)
  }
  const ms = median(times);
  console.log(`${runtime.backend}: median ${(ms / 1000).toFixed(2)} s/step over ${times.length} steps (${(1000 / ms).toFixed(3)} it/s, ${((batch * 1000) / ms).toFixed(2)} images/s)`);
  tf.dispose([style, content, ...Object.values(styleGrams), ...Object.values(variables)]);
  optimizer.dispose();
  network.dispose();
}
