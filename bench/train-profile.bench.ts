/**
 * @file Per-kernel profile of one warm style training step (loss and
 * gradients, `computeGradients`, as a data-parallel worker runs it) at
 * several batch sizes: style network width 1 with 5 residual blocks, VGG-16
 * with seeded random weights, the default style loss. Each kernel's time
 * (`tf.profile`, wall time per kernel on wasm) is shown per batch with its
 * share of the step, and the ratio between the largest and the smallest
 * batch: kernels whose time does not grow with the batch are what a worker's
 * part of a batch pays in full (bench/RESULTS.md, data-parallel training).
 *
 * Run: node --import tsx bench/train-profile.bench.ts [--size 128] [--batches 2,4] [--width 1] [--blocks 5] [--top 25] [--backend wasm]
 */
import * as tf from '@tensorflow/tfjs-core';
import { Random, selectBackend } from '../src/index.js';
import { computeGradients } from '../src/train/train-step.js';
import { argument } from './bench-args.js';
import { hostReport } from './host.js';
import { randomPixels, styleStepArguments, styleStepLoss, styleStepModel } from './style-train-step.js';

const stepArguments = styleStepArguments();
const { size, width, blocks } = stepArguments;
const batches = argument('batches', '2,4').split(',').map(Number);
const top = Number(argument('top', '25'));

async function main(): Promise<void> {
  const host = hostReport();
  for (const line of host.lines) console.log(line);
  const runtime = await selectBackend({ purpose: 'train', backend: stepArguments.backend });
  const { options, arch, variables } = styleStepModel(stepArguments, Math.max(...batches), 'bench-profile');
  const random = new Random(1);
  const style = tf.tensor4d(randomPixels(random, 1, size), [1, size, size, 3]);
  const stepLoss = await styleStepLoss(options, style);
  const context = { arch, variables, network: stepLoss.network, loss: stepLoss.loss, styleGrams: stepLoss.styleGrams };
  console.log(`style training step (loss + gradients) on ${runtime.backend}: ${size}x${size}, width ${width}, ${blocks} residual blocks, VGG-16 random weights, default style loss`);

  const byBatch = new Map<number, { wallMs: number; kernels: Map<string, number> }>();
  for (const batch of batches) {
    const x = tf.tensor4d(randomPixels(random, batch, size), [batch, size, size, 3]);
    const step = async (): Promise<void> => {
      const { grads } = await computeGradients(context, x, x);
      await Promise.all(Object.values(grads).map((g) => g.data()));
      tf.dispose(Object.values(grads));
    };
    await step(); // warm-up: kernel setup, weight caches
    const start = performance.now();
    const info = await tf.profile(step);
    const wallMs = performance.now() - start;
    const kernels = new Map<string, number>();
    for (const k of info.kernels) kernels.set(k.name, (kernels.get(k.name) ?? 0) + (k.kernelTimeMs as number));
    byBatch.set(batch, { wallMs, kernels });
    x.dispose();
  }

  const [small, large] = [Math.min(...batches), Math.max(...batches)];
  const names = [...byBatch.get(large)!.kernels].sort((a, b) => b[1] - a[1]).map(([name]) => name).slice(0, top);
  const sum = (batch: number) => [...byBatch.get(batch)!.kernels.values()].reduce((a, b) => a + b, 0);
  console.log(`\n| kernel | ${batches.map((b) => `batch ${b} ms (share)`).join(' | ')} | batch ${large} / batch ${small} |`);
  console.log(`| --- | ${batches.map(() => '---').join(' | ')} | --- |`);
  for (const name of names) {
    const cells = batches.map((b) => {
      const ms = byBatch.get(b)!.kernels.get(name) ?? 0;
      return `${ms.toFixed(0)} (${((100 * ms) / sum(b)).toFixed(1)}%)`;
    });
    const ratio = (byBatch.get(large)!.kernels.get(name) ?? 0) / (byBatch.get(small)!.kernels.get(name) ?? NaN);
    console.log(`| ${name} | ${cells.join(' | ')} | ${ratio.toFixed(2)} |`);
  }
  console.log(`| all kernels | ${batches.map((b) => `${sum(b).toFixed(0)}`).join(' | ')} | ${(sum(large) / sum(small)).toFixed(2)} |`);
  console.log(`| step wall time (profiled) | ${batches.map((b) => `${byBatch.get(b)!.wallMs.toFixed(0)}`).join(' | ')} | ${(byBatch.get(large)!.wallMs / byBatch.get(small)!.wallMs).toFixed(2)} |`);
  console.log(host.end());
  tf.dispose([style, ...Object.values(variables)]);
  stepLoss.dispose();
}

await main();
