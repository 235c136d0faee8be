/**
 * @file Throughput of the Node worker pool (src/serve/pool.node.ts) with 1
 * worker against N workers, on the same batch of images (issue 4: N workers
 * should give >= 0.9 x N the images/s of one).
 *
 * Style network (the paper's: width 1, resize-conv upsampling), random
 * weights (initParams seed 1) saved to a temp `.safetensors` file; synthetic
 * deterministic RGB images. Each configuration runs in its own child process,
 * so peak RSS (process.resourceUsage().maxRSS, which counts the worker
 * threads' WASM heaps) is that configuration's alone. In the child: the pool
 * is created, one warm-up job per worker is run concurrently (worker start,
 * wasm load and model load are not timed), then all images are submitted at
 * once and the wall time until the last one resolves is measured.
 *
 * `--model NAME|FILE` runs a trained style model instead (a bundled name such
 * as a real-time student, or a file).
 *
 * Run: node --import tsx bench/pool-throughput.bench.ts [--workers 1,2] [--images 8] [--size 256] [--model NAME|FILE]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, platform, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveStyleArch } from '../src/networks/arch.js';
import { initParams } from '../src/networks/init.js';
import { selectBackend } from '../src/runtime/index.js';
import type { RgbImage } from '../src/pixels.js';
import { createPool } from '../src/serve/pool.node.js';
import { saveModel } from '../src/weights/model-file.node.js';
import { resolveModel } from '../src/weights/model-registry.js';
import { loadTransformModel } from '../src/weights/load-transform-model.js';

const args = process.argv.slice(2);
const value = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};

interface ChildResult {
  workers: number;
  images: number;
  warmupMs: number;
  wallMs: number;
  /** CPU seconds of this process (every thread) during the timed batch / wall seconds: cores kept busy. */
  cores: number;
  maxRssMB: number;
}

/** A deterministic test card: smooth gradients, a disc and LCG noise; `index` shifts the pattern. */
function testCard(size: number, index: number): RgbImage {
  const data = new Uint8Array(size * size * 3);
  let s = 7 + index;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = x / size + index * 0.1;
      const v = y / size;
      const disc = (u - 0.6) ** 2 + (v - 0.4) ** 2 < 0.05 ? 60 : 0;
      for (let c = 0; c < 3; c++) {
        s = (s * 1103515245 + 12345) >>> 0;
        const base = 90 + 80 * Math.sin(6 * u + 2 * c) * Math.cos(4 * v) + (c === 2 ? 60 * v : 0) + disc + (((s >>> 16) % 16) - 8);
        data[(y * size + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(base)));
      }
    }
  }
  return { data, width: size, height: size };
}

/** Child mode: one pool of `workers`, warm-up, then the timed batch; prints a ChildResult as JSON. */
async function child(modelPath: string, workers: number, count: number, size: number): Promise<void> {
  const images = Array.from({ length: count }, (_, i) => testCard(size, i));
  // maxQueue: the whole batch is submitted at once, so it must all fit in the queue.
  const pool = await createPool({ model: modelPath, workers, maxQueue: count, timeoutMs: 0 });
  let t = performance.now();
  // One job per worker, concurrently: each idle worker takes one, loading the model and growing its wasm heap.
  await Promise.all(Array.from({ length: workers }, (_, i) => pool.run(images[i % count]!)));
  const warmupMs = performance.now() - t;
  t = performance.now();
  const cpu = process.cpuUsage();
  const outputs = await Promise.all(images.map((image) => pool.run(image)));
  const wallMs = performance.now() - t;
  const used = process.cpuUsage(cpu);
  await pool.close();
  if (outputs.some((out) => out.width !== size || out.height !== size)) throw new Error('unexpected output size');
  const result: ChildResult = { workers, images: count, warmupMs: Math.round(warmupMs), wallMs, cores: (used.user + used.system) / 1000 / wallMs, maxRssMB: process.resourceUsage().maxRSS / 1024 };
  console.log(`RESULT ${JSON.stringify(result)}`);
}

async function main(): Promise<void> {
  if (args[0] === '--child') return child(args[1]!, Number(args[2]), Number(args[3]), Number(args[4]));
  const workerCounts = value('workers', `1,${availableParallelism()}`).split(',').map(Number);
  const count = Number(value('images', '8'));
  const size = Number(value('size', '256'));
  console.log(`machine: ${cpus()[0]?.model ?? 'cpu'} x${cpus().length} (availableParallelism ${availableParallelism()}), ${platform()} ${release()}, Node ${process.versions.node}`);
  console.log(`command: node --import tsx bench/pool-throughput.bench.ts ${args.join(' ')}`.trimEnd());
  // The cpu backend only builds the weights to save; every worker runs wasm.
  await selectBackend({ backend: 'cpu' });
  const named = value('model', '');
  const dir = mkdtempSync(join(tmpdir(), 'perceptual-pool-bench-'));
  const results: ChildResult[] = [];
  let what = 'style width 1 (resize-conv), random weights';
  try {
    let path = join(dir, 'style-w1.safetensors');
    if (named === '') {
      const arch = resolveStyleArch({});
      await saveModel(path, { arch, params: initParams(arch, 1), provenance: {} });
    } else {
      path = await resolveModel(named);
      const model = await loadTransformModel(path);
      what = `${named} ${JSON.stringify(model.arch)}`;
      for (const t of Object.values(model.params)) t.dispose();
    }
    for (const workers of workerCounts) {
      const stdout = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', path, String(workers), String(count), String(size)], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (!line) throw new Error(`no result from the ${workers}-worker child: ${stdout.slice(-300)}`);
      results.push(JSON.parse(line.slice(7)) as ChildResult);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const base = results.find((r) => r.workers === 1);
  const baseRate = base ? (base.images * 1000) / base.wallMs : undefined;
  console.log(`\n${count} images ${size}x${size}, ${what}, wasm in every worker\n`);
  console.log('| workers | wall s | images/s | ms/image (wall / images) | speed-up vs 1 worker | goal (0.9 x workers) | CPU cores busy (process CPU time / wall) | warm-up s (not timed) | peak RSS MiB |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of results) {
    const rate = (r.images * 1000) / r.wallMs;
    const speedup = baseRate ? (rate / baseRate).toFixed(2) : '-';
    const goal = r.workers > 1 ? (0.9 * r.workers).toFixed(1) : '-';
    console.log(`| ${r.workers} | ${(r.wallMs / 1000).toFixed(2)} | ${rate.toFixed(3)} | ${(r.wallMs / r.images).toFixed(0)} | ${speedup} | ${goal} | ${r.cores.toFixed(2)} | ${(r.warmupMs / 1000).toFixed(2)} | ${r.maxRssMB.toFixed(0)} |`);
  }
}

await main();
