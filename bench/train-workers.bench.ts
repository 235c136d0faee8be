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
 * Where a data-parallel step's time goes is printed too (the trainer's
 * StepTimes: publishing the parameters, waiting for the workers and each
 * worker's own time, the gradient sum, the update). The contestant `half`
 * (`--workers 1,2,half`) is this thread on one worker's share of the batch:
 * what each worker's part would cost with the core to itself.
 *
 * Run: node --import tsx bench/train-workers.bench.ts [--size 128] [--batch 4] [--steps 3] [--workers 1,2,half] [--width 1] [--blocks 5] [--backend wasm]
 */
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { Random, selectBackend } from '../src/index.js';
import { startDataParallel } from '../src/train/data-parallel.node.js';
import { trainStep } from '../src/train/train-step.js';
import { argument, median } from './bench-args.js';
import { type ProcessContestant, type ServedContestant, serveContestant, startProcessContestant } from './contestant-process.js';
import { hostReport } from './host.js';
import { interleave, sameRoundRatios, summarize } from './interleave.js';
import { randomPixels, styleStepArguments, styleStepLoss, styleStepModel } from './style-train-step.js';

const CONTESTANT_FLAG = '--contestant';
const stepArguments = styleStepArguments();
const { size, width, blocks } = stepArguments;
const fullBatch = Number(argument('batch', '4'));
const steps = Number(argument('steps', '3'));

const HALF = 'half';

/** In the configuration's own process: the trainer for `name` (a worker count, or HALF), after one warm-up step; a turn is one step. */
async function setupTrainer(name: string): Promise<ServedContestant> {
  const runtime = await selectBackend({ purpose: 'train', backend: stepArguments.backend });
  const workers = name === HALF ? 1 : Number(name);
  const batchSize = name === HALF ? Math.ceil(fullBatch / 2) : fullBatch;
  const random = new Random(1);
  const batch = { shape: [batchSize, size, size, 3] as [number, number, number, number], data: randomPixels(random, batchSize, size) };
  const styleImage = { shape: [1, size, size, 3] as [number, number, number, number], data: randomPixels(random, 1, size) };
  const { options, arch, variables } = styleStepModel(stepArguments, batchSize, `bench-workers-${workers}`, workers);
  const optimizer = tf.train.adam(options.lr);
  let run: (step: number) => Promise<unknown>;
  let times: () => Record<string, number> | undefined = () => undefined;
  let close: () => Promise<void>;
  if (workers === 1) {
    const style = tf.tensor4d(styleImage.data, styleImage.shape);
    const { network, loss, styleGrams, dispose } = await styleStepLoss(options, style);
    const content = tf.tensor4d(batch.data, batch.shape);
    run = (step) => trainStep({ arch, variables, network, loss, styleGrams, optimizer }, content, content, step);
    close = async () => {
      tf.dispose([style, content]);
      dispose();
    };
  } else {
    const trainer = await startDataParallel({ options, arch, styleImage, runDir: '(benchmark)' });
    run = (step) => trainer.step(batch, batch, step, variables, optimizer);
    close = () => trainer.close();
    times = () => {
      const t = trainer.lastStepTimes!;
      return { publishMs: t.publishMs, waitMs: t.waitMs, busyMaxMs: Math.max(...t.busyMs), busyMinMs: Math.min(...t.busyMs), sumMs: t.sumMs, applyMs: t.applyMs };
    };
  }
  let step = 0;
  await run(step++);
  return {
    details: { backend: runtime.backend, workers: workers === 1 ? `this thread, batch ${batchSize}` : `${workers} threads on ${process.env.PERCEPTUAL_BACKEND || 'wasm'}` },
    async run() {
      await run(step++);
      const extras = times();
      return extras ? { extras } : undefined;
    },
    async close() {
      await close();
      optimizer.dispose();
      tf.dispose(Object.values(variables));
    },
  };
}

async function main(): Promise<void> {
  const names = argument('workers', '1,2').split(',');
  const host = hostReport();
  for (const line of host.lines) console.log(line);
  console.log(`style training step: batch ${fullBatch} x ${size}x${size}, width ${width}, ${blocks} residual blocks, VGG-16 random weights, default style loss; ${steps} interleaved steps per configuration after 1 warm-up`);
  const script = fileURLToPath(import.meta.url);
  const contestants: ProcessContestant[] = [];
  try {
    for (const name of names) contestants.push(await startProcessContestant(name, script, [CONTESTANT_FLAG, name, ...process.argv.slice(2)]));
    const result = await interleave(contestants, { rounds: steps });
    for (const c of contestants) await c.close();
    if (result.failures.size > 0) throw new Error([...result.failures].map(([name, why]) => `--workers ${name}: ${why}`).join('; '));
    for (const s of summarize(result)) {
      const c = contestants.find((x) => x.name === s.name)!;
      // Speed-up = the 1-worker step time / this one's, per round.
      const half = s.name === HALF;
      const speedups = !half && s.name !== '1' && result.samples.has('1') ? sameRoundRatios(result, '1', s.name) : [];
      const vs = speedups.length > 0 ? `, ${median(speedups).toFixed(2)}x the images/s of --workers 1 (same-round median)` : '';
      const images = half ? Math.ceil(fullBatch / 2) : fullBatch;
      console.log(
        `--workers ${s.name} (${c.details.workers}, ${c.details.backend}): median ${(s.medianMs / 1000).toFixed(2)} s/step, ${((images * 1000) / s.medianMs).toFixed(2)} images/s` +
          ` (steps ${s.ms.map((t) => (t / 1000).toFixed(2)).join(', ')} s)${vs}, peak RSS ${c.maxRssMb()?.toFixed(0) ?? '?'} MiB`,
      );
      const extras = result.samples.get(s.name)!.map((sample) => sample.extras).filter((e) => e !== undefined);
      if (extras.length > 0) {
        const ms = (key: string) => median(extras.map((e) => e[key]!)).toFixed(0);
        console.log(
          `  where the step went (median ms): publish ${ms('publishMs')}, wait ${ms('waitMs')} (workers busy ${ms('busyMinMs')}-${ms('busyMaxMs')}), sum ${ms('sumMs')}, update ${ms('applyMs')}`,
        );
      }
    }
    console.log(host.end());
  } finally {
    for (const c of contestants) await c.close();
  }
}

const contestantAt = process.argv.indexOf(CONTESTANT_FLAG);
if (contestantAt >= 0) await serveContestant(() => setupTrainer(process.argv[contestantAt + 1]!));
else await main();
