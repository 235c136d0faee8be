/**
 * @file Times one style-transfer training step (transform network forward
 * and backward, VGG-16 perceptual loss with seeded random weights, Adam
 * update) on each backend, at the paper's batch 4 x 256 x 256 by default.
 * Each backend runs in its own process, set up once with one warm-up step
 * (kernel setup, Adam's slots); then for `--steps` rounds each backend takes
 * one step in turn, the order rotated each round (bench/interleave.ts).
 * Prints medians, the same-round ratio against the first backend, the
 * machine, the load average and the command.
 *
 * The peer: a backend `torch:N` is the same step in PyTorch on the CPU with
 * N threads (bench/torch-train-step.py, run by `--python`, default python3;
 * Debian's python3-torch is one way to get it).
 *
 * Run: node --import tsx bench/train-step.bench.ts [--backends wasm,cpu,torch:1] [--size 256] [--batch 4] [--steps 3] [--width 1] [--python python3]
 */
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { createVgg, initParams, randomVggWeights, resolvePerceptualLossOptions, resolveStyleArch, selectBackend, styleTargets } from '../src/index.js';
import { TASK_DEFAULTS } from '../src/train/train-options.js';
import { trainStep } from '../src/train/train-step.js';
import { argument } from './bench-args.js';
import { type ProcessContestant, type ServedContestant, serveContestant, startProcessContestant } from './contestant-process.js';
import { hostReport } from './host.js';
import { formatRatio, interleave, summarize } from './interleave.js';

const CONTESTANT_FLAG = '--contestant';
const size = Number(argument('size', '256'));
const batch = Number(argument('batch', '4'));
const steps = Number(argument('steps', '3'));
const width = Number(argument('width', '1'));

/** In the backend's own process: network, loss and optimizer after one warm-up step; a turn is one step. */
async function setupStep(backend: string): Promise<ServedContestant> {
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
  let step = 0;
  const run = () => trainStep({ arch, variables, network, loss, styleGrams, optimizer }, content, content, step++);
  await run();
  return {
    details: { backend: runtime.backend },
    async run() {
      await run();
    },
    async close() {
      tf.dispose([style, content, ...Object.values(styleGrams), ...Object.values(variables)]);
      optimizer.dispose();
      network.dispose();
    },
  };
}

/** A tfjs backend in a Node child, or `torch:N`: PyTorch with N threads in a Python child. */
function startContestant(backend: string, script: string): Promise<ProcessContestant> {
  const torch = /^torch:(\d+)$/.exec(backend);
  if (torch === null) return startProcessContestant(backend, script, [CONTESTANT_FLAG, backend, ...process.argv.slice(2)]);
  const peer = fileURLToPath(new URL('./torch-train-step.py', import.meta.url));
  const args = ['--size', String(size), '--batch', String(batch), '--width', String(width), '--threads', torch[1]!];
  return startProcessContestant(backend, peer, args, { interpreter: argument('python', 'python3') });
}

async function main(): Promise<void> {
  const backends = argument('backends', 'wasm,cpu').split(',');
  const host = hostReport();
  for (const line of host.lines) console.log(line);
  console.log(`train step: style, batch ${batch} x ${size}x${size}, width ${width}, VGG-16 random weights; ${steps} interleaved steps per backend after 1 warm-up`);
  const script = fileURLToPath(import.meta.url);
  const contestants: ProcessContestant[] = [];
  try {
    for (const backend of backends) contestants.push(await startContestant(backend, script));
    const result = await interleave(contestants, { rounds: steps });
    if (result.failures.size > 0) throw new Error([...result.failures].map(([name, why]) => `${name}: ${why}`).join('; '));
    for (const s of summarize(result, backends[0])) {
      const c = contestants.find((x) => x.name === s.name)!;
      const backend = c.details.threads === undefined ? c.details.backend : `${c.details.backend}, ${c.details.threads} threads`;
      const vs = s.vsBase === undefined ? '' : `; ${formatRatio(s.vsBase)}x the time of ${backends[0]} (same round)`;
      console.log(
        `${s.name} (${backend}): median ${(s.medianMs / 1000).toFixed(2)} s/step over ${s.ms.length} steps (${s.ms.map((t) => (t / 1000).toFixed(2)).join(', ')}; ` +
          `${(1000 / s.medianMs).toFixed(3)} it/s, ${((batch * 1000) / s.medianMs).toFixed(2)} images/s)${vs}`,
      );
    }
    console.log(host.end());
  } finally {
    for (const c of contestants) await c.close();
  }
}

const contestantAt = process.argv.indexOf(CONTESTANT_FLAG);
if (contestantAt >= 0) await serveContestant(() => setupStep(process.argv[contestantAt + 1]!));
else await main();
