/**
 * @file Images/s of style training steps in this thread (`--workers 1`)
 * against data-parallel steps on N worker threads (`--workers N`,
 * src/train/data-parallel.node.ts), on the same batch: style network width 1
 * with 5 residual blocks, VGG-16 with seeded random weights and the default
 * style loss, Adam. Each configuration runs one warm-up step (kernel setup,
 * Adam's moments), then `--steps` timed steps; the median is printed with the
 * machine and the command.
 *
 * Run: node --import tsx bench/train-workers.bench.ts [--size 128] [--batch 4] [--steps 3] [--workers 1,2] [--width 1] [--blocks 5]
 */
import { availableParallelism, cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { resolvePerceptualLossOptions, styleTargets } from '../src/losses/perceptual.js';
import { resolveStyleArch } from '../src/networks/arch.js';
import { initParams } from '../src/networks/init.js';
import { Random } from '../src/random.js';
import { selectBackend } from '../src/runtime/index.js';
import { startDataParallel } from '../src/train/data-parallel.node.js';
import { loadRunLossNetwork } from '../src/train/run-inputs.js';
import { resolveTrainOptions } from '../src/train/train-options.js';
import { trainStep } from '../src/train/train-step.js';
import { argument, median } from './bench-args.js';

const size = Number(argument('size', '128'));
const batchSize = Number(argument('batch', '4'));
const steps = Number(argument('steps', '3'));
const width = Number(argument('width', '1'));
const blocks = Number(argument('blocks', '5'));
const counts = argument('workers', '1,2').split(',').map(Number);

const runtime = await selectBackend({ purpose: 'train', backend: argument('backend', 'wasm') });
console.log(`command: node --import tsx bench/train-workers.bench.ts ${process.argv.slice(2).join(' ')}`.trimEnd());
console.log(`machine: ${cpus()[0]?.model ?? 'cpu'} x${availableParallelism()}, node ${process.version}; this thread on ${runtime.backend}, workers on ${process.env.PERCEPTUAL_BACKEND || 'wasm'}`);
console.log(`style training step: batch ${batchSize} x ${size}x${size}, width ${width}, ${blocks} residual blocks, VGG-16 random weights, default style loss; median of ${steps} steps after 1 warm-up`);

const random = new Random(1);
const pixels = (n: number, side: number) => Float32Array.from({ length: n * side * side * 3 }, () => random.next());
const batch = { shape: [batchSize, size, size, 3] as [number, number, number, number], data: pixels(batchSize, size) };
const styleImage = { shape: [1, size, size, 3] as [number, number, number, number], data: pixels(1, size) };

for (const workers of counts) {
  const options = resolveTrainOptions({
    task: 'style', data: 'unused', out: 'unused.safetensors', style: 'unused.png', imageSize: size, batchSize,
    arch: { width, residualBlocks: blocks }, lossNetwork: 'vgg16', lossWeights: 'random', seed: 0, workers,
  });
  const arch = resolveStyleArch({ width, residualBlocks: blocks });
  const initial = initParams(arch, 0);
  const variables = Object.fromEntries(Object.entries(initial).map(([k, v]) => [k, tf.variable(v, true, `bench-workers-${workers}/${k}`)]));
  tf.dispose(Object.values(initial));
  const optimizer = tf.train.adam(options.lr);
  const times: number[] = [];
  let run: (step: number) => Promise<unknown>;
  let close: () => Promise<void>;
  if (workers === 1) {
    const network = await loadRunLossNetwork(options);
    const loss = resolvePerceptualLossOptions(options.loss, network.taps);
    const style = tf.tensor4d(styleImage.data, styleImage.shape);
    const styleGrams = styleTargets(network, style, loss.styleLayers);
    const content = tf.tensor4d(batch.data, batch.shape);
    run = (step) => trainStep({ arch, variables, network, loss, styleGrams, optimizer }, content, content, step);
    close = async () => {
      tf.dispose([style, content, ...Object.values(styleGrams)]);
      network.dispose();
    };
  } else {
    const trainer = await startDataParallel({ options, arch, styleImage, runDir: '(benchmark)' });
    run = (step) => trainer.step(batch, batch, step, variables, optimizer);
    close = () => trainer.close();
  }
  try {
    for (let step = 0; step <= steps; step++) {
      const t0 = performance.now();
      await run(step);
      if (step > 0) times.push(performance.now() - t0);
    }
  } finally {
    await close();
    optimizer.dispose();
    tf.dispose(Object.values(variables));
  }
  const ms = median(times);
  const label = workers === 1 ? '--workers 1 (this thread)' : `--workers ${workers} (threads)`;
  console.log(`${label}: median ${(ms / 1000).toFixed(2)} s/step, ${((batchSize * 1000) / ms).toFixed(2)} images/s (steps ${times.map((t) => (t / 1000).toFixed(2)).join(', ')} s)`);
}
