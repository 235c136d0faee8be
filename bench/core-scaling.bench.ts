/**
 * @file How much throughput this machine gives N threads of pure compute,
 * independent of perceptual's pool: the ceiling for the pool's N-worker
 * scaling (issue 4 asks for >= 0.9 N). Each worker thread runs a fixed amount
 * of work; all N start together; throughput(N) / throughput(1) is reported for
 * - `alu`: a JavaScript integer loop (no memory traffic),
 * - `conv`: tfjs-wasm convolutions of a residual-block shape (what the pool runs).
 * The thread counts take turns round by round, the order rotated each round
 * (bench/interleave.ts), and the speed-up is the median of the same-round
 * ratios.
 *
 * Run: node --import tsx bench/core-scaling.bench.ts [--threads 1,2] [--repeats 3]
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { argument, median } from './bench-args.js';
import { hostReport } from './host.js';
import { interleave, sameRoundRatios, summarize } from './interleave.js';

type Load = 'alu' | 'conv';

/**
 * The worker's source (eval'd CommonJS, so it needs no TypeScript loader); the
 * conv load uses the built runtime (dist/, `npm run build`).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  if (workerData.load === 'alu') {
    let h = 1;
    for (let i = 0; i < 400000000; i++) h = (Math.imul(h, 2654435761) + i) | 0;
    parentPort.postMessage(h);
    return;
  }
  const tf = await import('@tensorflow/tfjs-core');
  const { selectBackend } = await import(workerData.runtime);
  await selectBackend({ backend: 'wasm', purpose: 'infer' });
  const x = tf.randomNormal([1, 66, 66, 128]);
  const w = tf.randomNormal([3, 3, 128, 128]);
  tf.dispose(tf.conv2d(x, w, 1, 'valid'));
  parentPort.postMessage('ready');
  await new Promise((resolve) => parentPort.once('message', resolve));
  for (let i = 0; i < 40; i++) {
    const y = tf.conv2d(x, w, 1, 'valid');
    y.dataSync();
    y.dispose();
  }
  parentPort.postMessage('done');
})();
`;

/** Wall ms for `threads` workers each doing the fixed work at once. */
async function run(load: Load, threads: number): Promise<number> {
  const runtime = new URL('../dist/src/runtime/index.js', import.meta.url).href;
  const workers = Array.from({ length: threads }, () => new Worker(WORKER_SOURCE, { eval: true, workerData: { load, runtime } }));
  if (load === 'conv') await Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))));
  const start = performance.now();
  const done = workers.map((w) => new Promise((resolve) => w.once('message', resolve)));
  if (load === 'conv') for (const w of workers) w.postMessage('go');
  await Promise.all(done);
  const ms = performance.now() - start;
  await Promise.all(workers.map((w) => w.terminate()));
  return ms;
}

{
  const threadCounts = argument('threads', `1,${availableParallelism()}`).split(',').map(Number);
  const repeats = Number(argument('repeats', '3'));
  const host = hostReport();
  for (const line of host.lines) console.log(line);
  console.log(`median of ${repeats} interleaved rounds; throughput against ${threadCounts[0]} thread(s) from the same round`);
  console.log('| load | threads | wall ms (same work per thread) | throughput vs 1 thread | per thread |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const load of ['alu', 'conv'] as const) {
    // `run` times itself (from when every worker is ready), so the contestants pass its ms on.
    const contestants = threadCounts.map((n) => ({ name: String(n), run: async () => ({ ms: await run(load, n) }), close: async () => {} }));
    const result = await interleave(contestants, { rounds: repeats });
    if (result.failures.size > 0) throw new Error([...result.failures].map(([n, why]) => `${load}, ${n} threads: ${why}`).join('; '));
    const first = threadCounts[0]!;
    for (const s of summarize(result)) {
      const n = Number(s.name);
      // Same work per thread: throughput(n) / throughput(first) = (n / first) x time(first) / time(n), per round.
      const speedup = n === first ? 1 : (n / first) * median(sameRoundRatios(result, String(first), s.name));
      console.log(`| ${load} | ${n} | ${s.medianMs.toFixed(0)} | ${speedup.toFixed(2)}x | ${(speedup / n).toFixed(2)} |`);
    }
  }
  console.log(host.end());
}
