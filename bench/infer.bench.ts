/**
 * @file Single-image inference latency of the style network against
 * onnxruntime, on exactly the same network and weights: perceptual on
 * tfjs-wasm (SIMD, 1 thread, in-process), one image across 2 workers by row
 * bands (`bands-2`, src/serve/band-runner.node.ts) and tfjs-backend-cpu,
 * against the network exported by src/export/onnx-export.ts run in
 * onnxruntime-web (WASM, 1 and 2 threads) and onnxruntime-node (native CPU, 1
 * and 2 threads).
 *
 * Each (peer, upsampling mode, size) runs in its own child process, so peak
 * RSS (process.resourceUsage().maxRSS) is that peer's alone and onnxruntime-web
 * can be initialised with a different thread count. One warm-up run, then the
 * median of `--runs`. GFLOP/s counts 2 x the convolutions' multiply-adds
 * (from the arch; transposed convs count only their useful MACs).
 *
 * Run: node --import tsx bench/infer.bench.ts [--sizes 256,512] [--runs 3] [--upsample resize,transpose]
 *        [--peers tfjs-wasm,bands-2,ort-web-1,ort-web-2,ort-node-1,ort-node-2,tfjs-cpu] [--cpu-max 256] [--cpu-runs 1] [--out bench/RESULTS-infer-peers.md]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, platform, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { exportOnnx } from '../src/export/onnx-export.js';
import { resolveStyleArch, styleChannels } from '../src/networks/arch.js';
import { initParams } from '../src/networks/init.js';
import { transform } from '../src/networks/transform.js';
import { Random } from '../src/random.js';
import { selectBackend } from '../src/runtime/index.js';
import { createBandRunner } from '../src/serve/band-runner.node.js';
import { saveModel } from '../src/weights/model-file.node.js';
import type { StyleArch } from '../src/types.js';
import { argument, median } from './bench-args.js';

const PEERS = ['tfjs-wasm', 'bands-2', 'ort-web-1', 'ort-web-2', 'ort-node-1', 'ort-node-2', 'tfjs-cpu'] as const;
type Peer = (typeof PEERS)[number];

interface ChildResult {
  ms: number[];
  outputMean: number;
  maxRssMb: number;
  error?: string;
}

/** Multiply-adds of the style network's convolutions on an H x W input (H, W multiples of 4). */
export function styleMacs(arch: StyleArch, h: number, w: number): number {
  const [c32, c64, c128] = styleChannels(arch);
  const px = (f: number): number => (h / f) * (w / f);
  let macs = 81 * 3 * c32 * px(1) + 9 * c32 * c64 * px(2) + 9 * c64 * c128 * px(4);
  macs += arch.residualBlocks * 2 * 9 * c128 * c128 * px(4);
  // Resize-conv convolves the 2x map; a transposed conv does K*K MACs per INPUT pixel.
  macs += arch.upsample === 'resize' ? 9 * c128 * c64 * px(2) + 9 * c64 * c32 * px(1) : 9 * c128 * c64 * px(4) + 9 * c64 * c32 * px(2);
  return macs + 81 * c32 * 3 * px(1);
}

function meanOf(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}

function randomImage(size: number): Float32Array {
  const random = new Random(1);
  return Float32Array.from({ length: size * size * 3 }, () => random.next());
}

/** Runs one peer on one size in this (child) process and prints its ChildResult as JSON. */
async function child(peer: Peer, upsample: 'resize' | 'transpose', size: number, runs: number): Promise<void> {
  const arch = resolveStyleArch({ upsample });
  const data = randomImage(size);
  const times: number[] = [];
  let outputMean = 0;
  if (peer === 'tfjs-wasm' || peer === 'tfjs-cpu') {
    await selectBackend({ backend: peer === 'tfjs-wasm' ? 'wasm' : 'cpu', purpose: 'infer' });
    const model = { arch, params: initParams(arch, 0), provenance: {} };
    const image = tf.tensor4d(data, [1, size, size, 3]);
    for (let r = 0; r <= runs; r++) {
      const start = performance.now();
      const out = transform(model, image, { lean: true });
      const values = await out.data();
      if (r > 0) times.push(performance.now() - start);
      outputMean = meanOf(values);
      out.dispose();
    }
  } else if (peer.startsWith('bands-')) {
    // One image on N cores: perceptual's row-band runner (src/serve/band-runner.node.ts). Its input is
    // 8-bit RGB, so "out mean" differs from the float-input peers in the 4th decimal.
    await selectBackend({ backend: 'cpu' }); // only to write the initialised weights
    const dir = mkdtempSync(join(tmpdir(), 'perceptual-bench-bands-'));
    const path = join(dir, 'style.safetensors');
    await saveModel(path, { arch, params: initParams(arch, 0), provenance: {} });
    const image = { data: Uint8Array.from(data, (v) => Math.round(v * 255)), width: size, height: size };
    const runner = await createBandRunner({ model: path, workers: Number(peer.slice('bands-'.length)) });
    try {
      for (let r = 0; r <= runs; r++) {
        const start = performance.now();
        const out = await runner.run(image);
        if (r > 0) times.push(performance.now() - start);
        outputMean = meanOf(out.data) / 255;
      }
    } finally {
      await runner.close();
      rmSync(dir, { recursive: true, force: true });
    }
  } else {
    await selectBackend({ backend: 'cpu' }); // only to read the initialised weights
    const model = { arch, params: initParams(arch, 0), provenance: {} };
    const bytes = await exportOnnx(model);
    tf.dispose(Object.values(model.params));
    const threads = Number(peer.slice(-1));
    const ort = peer.startsWith('ort-web') ? await import('onnxruntime-web') : await import('onnxruntime-node');
    if (peer.startsWith('ort-web')) (ort as typeof import('onnxruntime-web')).env.wasm.numThreads = threads;
    const session = await ort.InferenceSession.create(bytes, {
      executionProviders: [peer.startsWith('ort-web') ? 'wasm' : 'cpu'],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
    for (let r = 0; r <= runs; r++) {
      const input = new ort.Tensor('float32', data, [1, size, size, 3]);
      const start = performance.now();
      const result = await session.run({ image: input });
      const values = result.output!.data as Float32Array;
      if (r > 0) times.push(performance.now() - start);
      outputMean = meanOf(values);
    }
    await session.release();
  }
  const result: ChildResult = { ms: times, outputMean, maxRssMb: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

function spawnChild(peer: Peer, upsample: string, size: number, runs: number): ChildResult {
  try {
    const stdout = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', peer, upsample, String(size), String(runs)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 20 * 60_000,
    });
    const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
    if (!line) throw new Error(`no result in: ${stdout.slice(-300)}`);
    return JSON.parse(line.slice(7)) as ChildResult;
  } catch (error) {
    const text = String((error as { stderr?: string }).stderr || (error as Error).message);
    return { ms: [], outputMean: NaN, maxRssMb: NaN, error: text.split('\n').filter((l) => /error/i.test(l))[0]?.slice(0, 160) ?? text.slice(0, 160) };
  }
}

async function main(): Promise<void> {
  const childAt = process.argv.indexOf('--child');
  if (childAt >= 0) {
    const [peer, upsample, size, runs] = process.argv.slice(childAt + 1);
    await child(peer as Peer, upsample as 'resize' | 'transpose', Number(size), Number(runs));
    return;
  }
  const sizes = argument('sizes', '256,512').split(',').map(Number);
  const runs = Number(argument('runs', '3'));
  const modes = argument('upsample', 'resize,transpose').split(',') as Array<'resize' | 'transpose'>;
  const peers = argument('peers', PEERS.join(',')).split(',') as Peer[];
  const cpuMax = Number(argument('cpu-max', '256'));
  // tfjs-backend-cpu takes tens of seconds per 256x256 image: fewer runs.
  const cpuRuns = Number(argument('cpu-runs', '1'));
  const outFile = argument('out', 'bench/RESULTS-infer-peers.md');
  const machine = `${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, ${platform()} ${release()}, Node ${process.versions.node}`;
  const lines: string[] = [
    '# Inference: perceptual (tfjs) against onnxruntime on the same network',
    '',
    `Command: \`node --import tsx bench/infer.bench.ts ${process.argv.slice(2).join(' ')}\``.replace(/ `$/, '`'),
    '',
    `Machine: ${machine}; tfjs-core ${tf.version_core}. Style network (width 1, 5 residual blocks), random weights (initParams seed 0), batch 1, ` +
      `one warm-up then the median of ${runs} runs (tfjs-cpu: ${cpuRuns}); each row its own process (peak RSS is that peer's). ` +
      'Ratio = peer ms / tfjs-wasm ms (above 1: perceptual on WASM is faster). "out mean" checks every peer computed the same network.',
    '',
    '| upsample | size | peer | ms/image (median) | images/s | GFLOP/s | peak RSS MB | out mean | ratio peer/tfjs-wasm |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const footer = `GFLOP per image (2 x conv MACs): ${modes.map((m) => sizes.map((s) => `${m} ${s}: ${((2 * styleMacs(resolveStyleArch({ upsample: m }), s, s)) / 1e9).toFixed(1)}`).join(', ')).join('; ')}.`;
  console.log(machine);
  for (const upsample of modes) {
    const arch = resolveStyleArch({ upsample });
    for (const size of sizes) {
      const gflop = (2 * styleMacs(arch, size, size)) / 1e9;
      let base: number | undefined;
      for (const peer of peers) {
        if (peer === 'tfjs-cpu' && size > cpuMax) continue;
        const r = spawnChild(peer, upsample, size, peer === 'tfjs-cpu' ? cpuRuns : runs);
        const ms = r.ms.length ? median(r.ms) : NaN;
        if (peer === 'tfjs-wasm') base = ms;
        const ratio = base !== undefined && peer !== 'tfjs-wasm' ? (ms / base).toFixed(2) : '-';
        const row = r.error
          ? `| ${upsample} | ${size} | ${peer} | failed: ${r.error.replace(/\|/g, '/')} | | | | | |`
          : `| ${upsample} | ${size} | ${peer} | ${ms.toFixed(0)} (${r.ms.map((t) => t.toFixed(0)).join(', ')}) | ${(1000 / ms).toFixed(2)} | ${(gflop / (ms / 1000)).toFixed(1)} | ${r.maxRssMb.toFixed(0)} | ${r.outputMean.toFixed(5)} | ${ratio} |`;
        console.log(row);
        lines.push(row);
        // Written after every row, so an interrupted run keeps what it measured.
        writeFileSync(outFile, `${[...lines, '', footer].join('\n')}\n`);
      }
    }
  }
  console.log(`wrote ${outFile}`);
}

await main();
