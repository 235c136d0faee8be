/**
 * @file Images/s of style training steps in this thread (`--workers 1`)
 * against data-parallel steps on N worker threads (`--workers N`,
 * src/train/data-parallel.node.ts), on the same batch: style network width 1
 * with 5 residual blocks, VGG-16 with seeded random weights and the default
 * style loss, Adam. Each configuration lives in its own process, set up once
 * with one warm-up step (kernel setup, Adam's moments); then for `--steps`
 * rounds each configuration takes one step in turn, the order rotated each
 * round (bench/interleave.ts). Medians and the same-round speed-up are
 * printed with the machine, the load average and the command.
 *
 * Run: node --import tsx bench/train-workers.bench.ts [--size 128] [--batch 4] [--steps 3] [--workers 1,2] [--width 1] [--blocks 5] [--backend wasm]
 */
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initParams, Random, resolvePerceptualLossOptions, resolveStyleArch, selectBackend, styleTargets } from '../src/index.js';
import { startDataParallel } from '../src/train/data-parallel.node.js';
import { loadRunLossNetwork } from '../src/train/run-inputs.js';
import { resolveTrainOptions } from '../src/train/train-options.js';
import { trainStep } from '../src/train/train-step.js';
import { argument, median } from './bench-args.js';
import { type ProcessContestant, type ServedContestant, serveContestant, startProcessContestant } from './contestant-process.js';
import { hostReport } from './host.js';
import { interleave, sameRoundRatios, summarize } from './interleave.js';

const CONTESTANT_FLAG = '--contestant';
const size = Number(argument('size', '128'));
const batchSize = Number(argument('batch', '4'));
const steps = Number(argument('steps', '3'));
const width = Number(argument('width', '1'));
const blocks = Number(argument('blocks', '5'));
const backend = argument('backend', 'wasm');

/** In the configuration's own process: the trainer for `workers`, after one warm-up step; a turn is one step. */
async function setupTrainer(workers: number): Promise<ServedContestant> {
  const runtime = await selectBackend({ purpose: 'train', backend });
  const random = new Random(1);
  const pixels = (n: number, side: number) => Float32Array.from({ length: n * side * side * 3 }, () => random.next());
  const batch = { shape: [batchSize, size, size, 3] as [number, number, number, number], data: pixels(batchSize, size) };
  const styleImage = { shape: [1, size, size, 3] as [number, number, number, number], data: pixels(1, size) };
  const options = resolveTrainOptions({
    task: 'style', data: 'unused', out: 'unused.safetensors', style: 'unused.png', imageSize: size, batchSize,
    arch: { width, residualBlocks: blocks }, lossNetwork: 'vgg16', lossWeights: 'random', seed: 0, workers,
  });
  const arch = resolveStyleArch({ width, residualBlocks: blocks });
  const initial = initParams(arch, 0);
  const variables = Object.fromEntries(Object.entries(initial).map(([k, v]) => [k, tf.variable(v, true, `bench-workers-${workers}/${k}`)]));
  tf.dispose(Object.values(initial));
  const optimizer = tf.train.adam(options.lr);
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
  let step = 0;
  await run(step++);
  return {
    details: { backend: runtime.backend, workers: workers === 1 ? 'this thread' : `${workers} threads on ${process.env.PERCEPTUAL_BACKEND || 'wasm'}` },
    async run() {
      await run(step++);
    },
    async close() {
      await close();
      optimizer.dispose();
      tf.dispose(Object.values(variables));
    },
  };
}

async function main(): Promise<void> {
  const counts = argument('workers', '1,2').split(',').map(Number);
  const host = hostReport();
  for (const line of host.lines) console.log(line);
  console.log(`style training step: batch ${batchSize} x ${size}x${size}, width ${width}, ${blocks} residual blocks, VGG-16 random weights, default style loss; ${steps} interleaved steps per configuration after 1 warm-up`);
  const script = fileURLToPath(import.meta.url);
  const contestants: ProcessContestant[] = [];
  try {
    for (const workers of counts) contestants.push(await startProcessContestant(String(workers), script, [CONTESTANT_FLAG, String(workers), ...process.argv.slice(2)]));
    const result = await interleave(contestants, { rounds: steps });
    for (const c of contestants) await c.close();
    if (result.failures.size > 0) throw new Error([...result.failures].map(([name, why]) => `--workers ${name}: ${why}`).join('; '));
    for (const s of summarize(result)) {
      const c = contestants.find((x) => x.name === s.name)!;
      // Speed-up = the 1-worker step time / this one's, per round.
      const speedups = s.name !== '1' && result.samples.has('1') ? sameRoundRatios(result, '1', s.name) : [];
      const vs = speedups.length > 0 ? `, ${median(speedups).toFixed(2)}x the images/s of --workers 1 (same-round median)` : '';
      console.log(
        `--workers ${s.name} (${c.details.workers}, ${c.details.backend}): median ${(s.medianMs / 1000).toFixed(2)} s/step, ${((batchSize * 1000) / s.medianMs).toFixed(2)} images/s` +
          ` (steps ${s.ms.map((t) => (t / 1000).toFixed(2)).join(', ')} s)${vs}, peak RSS ${c.maxRssMb()?.toFixed(0) ?? '?'} MiB`,
      );
    }
    console.log(host.end());
  } finally {
    for (const c of contestants) await c.close();
  }
}

const contestantAt = process.argv.indexOf(CONTESTANT_FLAG);
if (contestantAt >= 0) await serveContestant(() => setupTrainer(Number(process.argv[contestantAt + 1])));
else await main();
