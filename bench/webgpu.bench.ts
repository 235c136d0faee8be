/**
 * @file WebGPU against WASM in one run, for a machine with a GPU: one
 * style-transfer training step (style network forward and backward, VGG-16
 * perceptual loss with seeded random weights, Adam; the paper's batch 4 x
 * 256 x 256 by default) and single-image inference of the style network at
 * 256, 512 and 1024 (whole image, read back with data(); the same call on both
 * backends). Every (backend, measurement) runs in its own child process, so a
 * WASM heap that runs out (4 x 256 training does not fit in wasm32) or a lost
 * GPU device costs only that row. One warm-up, then the median of `--runs`.
 * Prints the adapter (and whether it is a software one), the Vulkan driver
 * manifests found, and each row with its WASM / WebGPU ratio and a check
 * value that must agree across backends (the first step's loss, the output's
 * middle value).
 *
 * The webgpu backend is forced, so a software adapter (SwiftShader:
 * VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json) is measured
 * too; its figures only show that the path works.
 *
 * Run: node --import tsx bench/webgpu.bench.ts [--backends webgpu,wasm] [--train-size 256] [--batch 4]
 *        [--sizes 256,512,1024] [--runs 3] [--width 1] [--skip-train] [--skip-infer]
 */
import { execFileSync } from 'node:child_process';
import { cpus, platform, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { createVgg, initParams, randomVggWeights, resolvePerceptualLossOptions, resolveStyleArch, selectBackend, styleTargets, transform } from '../src/index.js';
import { findVulkanDrivers } from '../src/runtime/vulkan-drivers.node.js';
import { TASK_DEFAULTS } from '../src/train/train-options.js';
import { trainStep } from '../src/train/train-step.js';
import { argument, median } from './bench-args.js';

interface ChildResult {
  readonly ms: number[];
  readonly details: Record<string, string | number | boolean>;
  readonly check: number;
  readonly error?: string;
}

type Job = { kind: 'train'; size: number; batch: number } | { kind: 'infer'; size: number };

const width = Number(argument('width', '1'));
const runs = Number(argument('runs', '3'));

/** Runs one job on `backend` in this (child) process and prints its ChildResult. */
async function child(backend: string, job: Job): Promise<void> {
  const runtime = await selectBackend({ backend, purpose: job.kind === 'train' ? 'train' : 'infer' });
  const arch = resolveStyleArch({ width });
  const times: number[] = [];
  let check = 0;
  if (job.kind === 'infer') {
    const model = { arch, params: initParams(arch, 0), provenance: {} };
    const image = tf.randomUniform([1, job.size, job.size, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    for (let r = 0; r <= runs; r++) {
      const start = performance.now();
      const out = transform(model, image, { lean: true });
      const values = await out.data();
      if (r > 0) times.push(performance.now() - start);
      check = values[values.length >> 1]!;
      out.dispose();
    }
    tf.dispose([image, ...Object.values(model.params)]);
  } else {
    const network = createVgg(randomVggWeights('vgg16', 0));
    const loss = resolvePerceptualLossOptions(TASK_DEFAULTS.style.loss, network.taps);
    const initial = initParams(arch, 0);
    const variables = Object.fromEntries(Object.entries(initial).map(([k, v]) => [k, tf.variable(v, true, `bench/${k}`)]));
    tf.dispose(Object.values(initial));
    const style = tf.randomUniform([1, job.size, job.size, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const styleGrams = styleTargets(network, style, loss.styleLayers);
    const optimizer = tf.train.adam(1e-3);
    const content = tf.randomUniform([job.batch, job.size, job.size, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
    for (let i = 0; i <= runs; i++) {
      const start = performance.now();
      const numbers = await trainStep({ arch, variables, network, loss, styleGrams, optimizer }, content, content, i);
      if (i > 0) times.push(performance.now() - start); // step 0 warms up (pipelines, Adam slots)
      // The first step's loss, before any update: later ones drift apart (Adam's first steps are
      // lr * sign(gradient), and a gradient that is float noise has either sign).
      if (i === 0) check = numbers.total;
    }
    tf.dispose([style, content, ...Object.values(styleGrams), ...Object.values(variables)]);
    optimizer.dispose();
    network.dispose();
  }
  process.stdout.write(`RESULT ${JSON.stringify({ ms: times, details: runtime.details, check } satisfies ChildResult)}\n`);
}

function spawn(backend: string, job: Job): ChildResult {
  const args = ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', backend, JSON.stringify(job), '--width', String(width), '--runs', String(runs)];
  try {
    const stdout = execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60 * 60_000, maxBuffer: 64 * 2 ** 20 });
    const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
    if (!line) throw new Error(`no result in: ${stdout.slice(-300)}`);
    return JSON.parse(line.slice(7)) as ChildResult;
  } catch (error) {
    const text = String((error as { stderr?: string }).stderr || (error as Error).message);
    const reason = text.split('\n').find((l) => /error|abort|out of memory|could not be loaded/i.test(l)) ?? text.split('\n')[0] ?? '';
    return { ms: [], details: {}, check: NaN, error: reason.trim().slice(0, 200) };
  }
}

function seconds(result: ChildResult): string {
  return result.error !== undefined ? `failed: ${result.error}` : `${(median(result.ms) / 1000).toFixed(3)} (${result.ms.map((ms) => (ms / 1000).toFixed(3)).join(', ')})`;
}

async function main(): Promise<void> {
  const backends = argument('backends', 'webgpu,wasm').split(',');
  const jobs: Job[] = [];
  if (!process.argv.includes('--skip-train')) jobs.push({ kind: 'train', size: Number(argument('train-size', '256')), batch: Number(argument('batch', '4')) });
  if (!process.argv.includes('--skip-infer')) for (const size of argument('sizes', '256,512,1024').split(',').map(Number)) jobs.push({ kind: 'infer', size });

  const vulkan = platform() === 'linux' ? findVulkanDrivers(process.env).manifests : [];
  console.log(`webgpu vs wasm: style network width ${width}, ${runs} runs after a warm-up; ${cpus()[0]?.model.trim() ?? 'cpu'} x${cpus().length}, ${platform()} ${release()}, Node ${process.version}`);
  if (platform() === 'linux') console.log(`Vulkan driver manifests: ${vulkan.length > 0 ? vulkan.join(', ') : 'none'}`);
  console.log('');
  console.log('| measurement | backend | median s (runs) | wasm / this | check |');
  console.log('| --- | --- | --- | --- | --- |');
  let adapter = '';
  for (const job of jobs) {
    const label = job.kind === 'train' ? `train step, batch ${job.batch} x ${job.size}` : `inference ${job.size}x${job.size}`;
    const results = new Map(backends.map((backend) => [backend, spawn(backend, job)] as const));
    const wasm = results.get('wasm');
    for (const [backend, result] of results) {
      if (backend === 'webgpu' && result.details.adapter !== undefined) adapter = `${result.details.adapter}${result.details.software === true ? ' (software)' : ''}, Dawn ${result.details.dawn}`;
      const ratio = wasm !== undefined && wasm.error === undefined && result.error === undefined ? (median(wasm.ms) / median(result.ms)).toPrecision(3) : '-';
      console.log(`| ${label} | ${backend} | ${seconds(result)} | ${ratio} | ${Number.isFinite(result.check) ? result.check.toPrecision(6) : '-'} |`);
    }
  }
  console.log('');
  console.log(`webgpu adapter: ${adapter || 'none (the webgpu rows failed)'}`);
}

const at = process.argv.indexOf('--child');
if (at >= 0) await child(process.argv[at + 1]!, JSON.parse(process.argv[at + 2]!) as Job);
else await main();
