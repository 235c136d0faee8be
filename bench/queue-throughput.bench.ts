/**
 * @file Throughput of batch jobs through the Redis queue: `perceptual queue
 * worker` processes (each `--workers 1`: one wasm thread, concurrency 2)
 * consuming `queue add` batches, one process against two, in the same run.
 *
 * A throw-away Debian redis-server on 127.0.0.1 (no persistence). Both
 * configurations are started once, each on its own queue, and warmed up
 * (pool start and model load are not timed); then the runs alternate (one
 * process, two processes, one, ...) so that the host's drift hits both
 * alike. One run: `queue add` (in this process) of the whole folder, then
 * the wall time until the queue counts every job completed; every output
 * is a PNG file read from, and written to, disk by the worker (decode,
 * network, encode, atomic write), as in real use. Medians are quoted.
 *
 * Run: node --import tsx bench/queue-throughput.bench.ts [--images 64] [--size 256] [--runs 3] [--model wave]
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, platform, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { memoryContext } from '../src/cli/context.js';
import { runCli } from '../src/cli/main.js';
import { readQueueStatus } from '../src/queue/queue-status.js';
import { connectRedis } from '../src/queue/redis-connection.js';
import { findRedisServer, spawnWorker, startRedis, waitUntil, type WorkerProcess } from '../test/queue/fixtures.js';
import { argument, median } from './bench-args.js';

const IMAGES = Number(argument('images', '64'));
const SIZE = Number(argument('size', '256'));
const RUNS = Number(argument('runs', '3'));
const MODEL = argument('model', 'wave');
const PROCESSES = [1, 2] as const;

/** A smooth test card with a little noise (PNG); `index` shifts the pattern. */
async function writeCard(path: string, index: number): Promise<void> {
  const data = Buffer.alloc(SIZE * SIZE * 3);
  let s = 7 + index;
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const u = x / SIZE + index * 0.1;
      const v = y / SIZE;
      for (let c = 0; c < 3; c++) {
        s = (s * 1103515245 + 12345) >>> 0;
        const base = 90 + 80 * Math.sin(6 * u + 2 * c) * Math.cos(4 * v) + (c === 2 ? 60 * v : 0) + (((s >>> 16) % 16) - 8);
        data[(y * SIZE + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(base)));
      }
    }
  }
  await sharp(data, { raw: { width: SIZE, height: SIZE, channels: 3 } }).png().toFile(path);
}

async function cli(argv: string[]): Promise<string> {
  const context = memoryContext();
  const code = await runCli(argv, context);
  if (code !== 0) throw new Error(`perceptual ${argv.join(' ')} exited ${code}: ${context.err()}`);
  return context.out();
}

async function main(): Promise<void> {
  const binary = findRedisServer();
  if (binary === null) {
    console.log('SKIP bench/queue-throughput.bench.ts: redis-server is missing (apt-get install -y redis-server)');
    return;
  }
  console.log(`machine: ${cpus()[0]?.model ?? 'cpu'} x${cpus().length} (availableParallelism ${availableParallelism()}), ${platform()} ${release()}, Node ${process.versions.node}; load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`command: node --import tsx bench/queue-throughput.bench.ts ${process.argv.slice(2).join(' ')}`.trimEnd());
  const work = await mkdtemp(join(tmpdir(), 'perceptual-queue-bench-'));
  const redis = await startRedis(binary, work);
  const connection = await connectRedis(redis.url);
  const workers: WorkerProcess[] = [];
  try {
    await mkdir(join(work, 'in'));
    await mkdir(join(work, 'warm'));
    for (let i = 0; i < IMAGES; i++) await writeCard(join(work, 'in', `card${String(i).padStart(4, '0')}.png`), i);
    for (let i = 0; i < 4; i++) await writeCard(join(work, 'warm', `warm${i}.png`), 1000 + i);
    const queueOf = (processes: number): string => `bench-${processes}`;
    for (const processes of PROCESSES) {
      for (let p = 0; p < processes; p++) workers.push(spawnWorker(['--redis', redis.url, '--queue', queueOf(processes), '--workers', '1', '--concurrency', '2']));
    }
    await Promise.all(workers.map((w) => w.waitFor(/^ready: worker /m, 60_000)));

    /** Adds `folder` to the queue of `processes` and returns the seconds until all of it is completed. */
    const batch = async (processes: number, folder: string, out: string, count: number): Promise<number> => {
      const queue = queueOf(processes);
      const before = (await readQueueStatus(connection, queue, { limit: 0 })).counts.completed;
      const started = performance.now();
      await cli(['queue', 'add', folder, '-o', out, '--model', MODEL, '--redis', redis.url, '--queue', queue, '--keep-completed', '100000']);
      await waitUntil(
        async () => {
          const { counts } = await readQueueStatus(connection, queue, { limit: 0 });
          if (counts.failed > 0) throw new Error(`a job failed on ${queue}`);
          return counts.completed >= before + count;
        },
        600_000,
        () => `${queue}: not done in time`,
      );
      return (performance.now() - started) / 1000;
    };
    // Warm-up: every worker process starts its pool and loads the model (4 jobs, 2 at a time each).
    for (const processes of PROCESSES) await batch(processes, join(work, 'warm'), join(work, `warm-out-${processes}`), 4);

    const seconds = new Map<number, number[]>(PROCESSES.map((p) => [p, []]));
    for (let run = 0; run < RUNS; run++) {
      for (const processes of PROCESSES) seconds.get(processes)!.push(await batch(processes, join(work, 'in'), join(work, `out-${processes}-${run}`), IMAGES));
    }
    console.log(`load average at end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    console.log(`\n${IMAGES} PNG images ${SIZE}x${SIZE} per run, model ${MODEL}, each worker process \`--workers 1 --concurrency 2\`; ${RUNS} runs each, alternating\n`);
    console.log('| worker processes | runs, wall s | median wall s | images/s | vs 1 process |');
    console.log('| --- | --- | --- | --- | --- |');
    const base = IMAGES / median(seconds.get(1)!);
    for (const processes of PROCESSES) {
      const wall = median(seconds.get(processes)!);
      console.log(`| ${processes} | ${seconds.get(processes)!.map((s) => s.toFixed(2)).join(', ')} | ${wall.toFixed(2)} | ${(IMAGES / wall).toFixed(1)} | ${(IMAGES / wall / base).toFixed(2)} |`);
    }
    const perProcess = workers.map((w) => w.stdout().trim().split('\n').filter(Boolean).length);
    console.log(`\njobs done per worker process (warm-up included): ${perProcess.join(', ')}`);
  } finally {
    for (const w of workers) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
    connection.disconnect();
    await redis.stop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
