/**
 * @file Throughput of the Node worker pool (src/serve/pool.node.ts) with 1
 * worker against N workers, on the same batch of images (issue 4: N workers
 * should give >= 0.9 x N the images/s of one).
 *
 * Style network (the paper's: width 1, resize-conv upsampling), random
 * weights (initParams seed 1) saved to a temp `.safetensors` file; synthetic
 * deterministic RGB images. Each configuration lives in its own child
 * process, so peak RSS (process.resourceUsage().maxRSS, which counts the
 * worker threads' WASM heaps) is that configuration's alone. Every child
 * creates its pool once and runs one warm-up job per worker concurrently
 * (worker start, wasm load and model load are not timed); then, for
 * `--rounds` rounds, each configuration in turn (order rotated each round,
 * bench/interleave.ts) submits all images at once and times the wall time
 * until the last one resolves. The speed-up is the median of the same-round
 * ratios.
 *
 * `--model NAME|FILE` runs a trained style model instead (a bundled name such
 * as a real-time student, or a file).
 *
 * Run: node --import tsx bench/pool-throughput.bench.ts [--workers 1,2] [--images 8] [--size 256] [--rounds 3] [--model NAME|FILE]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPool, initParams, loadTransformModel, resolveModel, resolveStyleArch, type RgbImage, saveModel, selectBackend } from '../src/index.js';
import { argument, median } from './bench-args.js';
import { type ProcessContestant, type ServedContestant, serveContestant, startProcessContestant } from './contestant-process.js';
import { hostReport } from './host.js';
import { interleave, sameRoundRatios, summarize } from './interleave.js';

const CONTESTANT_FLAG = '--contestant';

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

/** In a configuration's own process: the pool, warmed up; a turn is the whole batch at once. */
async function setupPool(modelPath: string, workers: number, count: number, size: number): Promise<ServedContestant> {
  const images = Array.from({ length: count }, (_, i) => testCard(size, i));
  // maxQueue: the whole batch is submitted at once, so it must all fit in the queue.
  const pool = await createPool({ model: modelPath, workers, maxQueue: count, timeoutMs: 0 });
  const t = performance.now();
  // One job per worker, concurrently: each idle worker takes one, loading the model and growing its wasm heap.
  await Promise.all(Array.from({ length: workers }, (_, i) => pool.run(images[i % count]!)));
  const warmupMs = performance.now() - t;
  return {
    details: { workers, warmupMs: Math.round(warmupMs) },
    async run() {
      const start = performance.now();
      const cpu = process.cpuUsage();
      const outputs = await Promise.all(images.map((image) => pool.run(image)));
      const used = process.cpuUsage(cpu);
      if (outputs.some((out) => out.width !== size || out.height !== size)) throw new Error('unexpected output size');
      // CPU time of every thread of this process over wall time: the cores the pool kept busy.
      return { extras: { cores: (used.user + used.system) / 1000 / (performance.now() - start) } };
    },
    close: () => pool.close(),
  };
}

async function main(): Promise<void> {
  const workerCounts = argument('workers', `1,${availableParallelism()}`).split(',').map(Number);
  const count = Number(argument('images', '8'));
  const size = Number(argument('size', '256'));
  const rounds = Number(argument('rounds', '3'));
  const host = hostReport();
  for (const line of host.lines) console.log(line);
  // The cpu backend only builds the weights to save; every worker runs wasm.
  await selectBackend({ backend: 'cpu' });
  const named = argument('model', '');
  const dir = mkdtempSync(join(tmpdir(), 'perceptual-pool-bench-'));
  const contestants: ProcessContestant[] = [];
  let what = 'style width 1 (resize-conv), random weights';
  try {
    let path = join(dir, 'style-w1.safetensors');
    if (named === '') {
      const arch = resolveStyleArch({});
      const params = initParams(arch, 1);
      await saveModel(path, { arch, params, provenance: {} });
      for (const t of Object.values(params)) t.dispose();
    } else {
      path = await resolveModel(named);
      const model = await loadTransformModel(path);
      what = `${named} ${JSON.stringify(model.arch)}`;
      for (const t of Object.values(model.params)) t.dispose();
    }
    const script = fileURLToPath(import.meta.url);
    for (const workers of workerCounts) {
      contestants.push(await startProcessContestant(String(workers), script, [CONTESTANT_FLAG, path, String(workers), String(count), String(size)]));
    }
    const result = await interleave(contestants, { rounds, onSample: (round, name, s) => console.log(`round ${round + 1}/${rounds}, ${name} worker(s): ${(s.ms / 1000).toFixed(2)} s`) });
    for (const c of contestants) await c.close();
    if (result.failures.size > 0) throw new Error([...result.failures].map(([name, why]) => `${name} worker(s): ${why}`).join('; '));
    const base = workerCounts.includes(1) ? '1' : undefined;
    console.log(`\n${count} images ${size}x${size}, ${what}, wasm in every worker; ${rounds} rounds, median wall time per configuration\n`);
    console.log('| workers | wall s (every round) | images/s | ms/image (wall / images) | speed-up vs 1 worker, same round (range) | goal (0.9 x workers) | CPU cores busy (process CPU time / wall) | warm-up s (not timed) | peak RSS MiB |');
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const s of summarize(result)) {
      const c = contestants.find((x) => x.name === s.name)!;
      const workers = Number(s.name);
      // Speed-up = images/s against 1 worker = the 1-worker time / this time, per round.
      const speedups = base === undefined || s.name === base ? [] : sameRoundRatios(result, base, s.name);
      const speedup = speedups.length > 0 ? `${median(speedups).toFixed(2)} (${Math.min(...speedups).toFixed(2)}-${Math.max(...speedups).toFixed(2)})` : '-';
      const cores = median(result.samples.get(s.name)!.map((x) => x.extras?.cores ?? NaN));
      console.log(
        `| ${workers} | ${(s.medianMs / 1000).toFixed(2)} (${s.ms.map((t) => (t / 1000).toFixed(2)).join(', ')}) | ${((count * 1000) / s.medianMs).toFixed(3)} | ${(s.medianMs / count).toFixed(0)} | ` +
          `${speedup} | ${workers > 1 ? (0.9 * workers).toFixed(1) : '-'} | ${cores.toFixed(2)} | ${(Number(c.details.warmupMs) / 1000).toFixed(2)} | ${c.maxRssMb()?.toFixed(0) ?? '?'} |`,
      );
    }
    console.log(`\n${host.end()}`);
  } finally {
    for (const c of contestants) await c.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const contestantAt = process.argv.indexOf(CONTESTANT_FLAG);
if (contestantAt >= 0) {
  const [modelPath, workers, count, size] = process.argv.slice(contestantAt + 1);
  await serveContestant(() => setupPool(modelPath!, Number(workers), Number(count), Number(size)));
} else {
  await main();
}
