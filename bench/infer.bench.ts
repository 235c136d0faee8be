/**
 * @file Single-image inference latency of the style network against
 * onnxruntime, on exactly the same network and weights: perceptual on
 * tfjs-wasm (SIMD, 1 thread, in-process), one image across 2 workers by row
 * bands (`bands-2`, src/serve/band-runner.node.ts) and tfjs-backend-cpu,
 * against the network exported by src/export/onnx-export.ts run in
 * onnxruntime-web (WASM, 1 and 2 threads) and onnxruntime-node (native CPU, 1
 * and 2 threads).
 *
 * For each (upsampling mode, size), every peer is started once in its own
 * process (peak RSS is that peer's alone, and onnxruntime-web gets its own
 * thread count), loads the network and runs `--warmup` untimed images; then
 * for `--rounds` rounds each peer transforms one image in turn, the order
 * rotated each round (bench/interleave.ts). Reported: each peer's median
 * and, against tfjs-wasm (perceptual), the median of the same-round ratios
 * with their range, which a host that drifts during the run does not skew.
 * GFLOP/s counts 2 x the convolutions' multiply-adds (from the arch;
 * transposed convs count only their useful MACs).
 *
 * Run: node --import tsx bench/infer.bench.ts [--sizes 256,512] [--rounds 7] [--warmup 1] [--upsample resize,transpose]
 *        [--peers tfjs-wasm,bands-2,ort-web-1,ort-web-2,ort-node-1,ort-node-2] [--settle-ms 100] [--out bench/RESULTS-infer-peers.md]
 * (`tfjs-cpu` is a peer too, left out by default: tens of seconds per 256x256 image; `--cpu-max` caps its size, default 256.)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { createBandRunner, exportOnnx, initParams, Random, resolveStyleArch, saveModel, selectBackend, type StyleArch, transform } from '../src/index.js';
import { styleChannels } from '../src/networks/arch.js';
import { argument } from './bench-args.js';
import { type ProcessContestant, type ServedContestant, serveContestant, startProcessContestant } from './contestant-process.js';
import { hostReport } from './host.js';
import { formatRatio, interleave, summarize } from './interleave.js';

const PEERS = ['tfjs-wasm', 'bands-2', 'ort-web-1', 'ort-web-2', 'ort-node-1', 'ort-node-2', 'tfjs-cpu'] as const;
type Peer = (typeof PEERS)[number];
type Upsample = 'resize' | 'transpose';
const BASE: Peer = 'tfjs-wasm';
const CONTESTANT_FLAG = '--contestant';

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

/** In the peer's own process: loads the network for `peer`; `run` transforms one image and returns the output mean. */
async function setupPeer(peer: Peer, upsample: Upsample, size: number): Promise<ServedContestant> {
  const arch = resolveStyleArch({ upsample });
  const data = randomImage(size);
  if (peer === 'tfjs-wasm' || peer === 'tfjs-cpu') {
    const runtime = await selectBackend({ backend: peer === 'tfjs-wasm' ? 'wasm' : 'cpu', purpose: 'infer' });
    const model = { arch, params: initParams(arch, 0), provenance: {} };
    const image = tf.tensor4d(data, [1, size, size, 3]);
    return {
      details: { backend: runtime.backend, tfjs: tf.version_core },
      async run() {
        const out = transform(model, image, { lean: true });
        const values = await out.data();
        out.dispose();
        return meanOf(values);
      },
      async close() {
        tf.dispose([image, ...Object.values(model.params)]);
      },
    };
  }
  if (peer.startsWith('bands-')) {
    // One image on N cores: perceptual's row-band runner. Its input is 8-bit RGB,
    // so its output mean differs from the float-input peers in the 4th decimal.
    await selectBackend({ backend: 'cpu' }); // only to write the initialised weights
    const dir = mkdtempSync(join(tmpdir(), 'perceptual-bench-bands-'));
    const path = join(dir, 'style.safetensors');
    const params = initParams(arch, 0);
    await saveModel(path, { arch, params, provenance: {} });
    tf.dispose(Object.values(params));
    const image = { data: Uint8Array.from(data, (v) => Math.round(v * 255)), width: size, height: size };
    const workers = Number(peer.slice('bands-'.length));
    const runner = await createBandRunner({ model: path, workers });
    return {
      details: { workers },
      async run() {
        const out = await runner.run(image);
        return meanOf(out.data) / 255;
      },
      async close() {
        await runner.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  await selectBackend({ backend: 'cpu' }); // only to read the initialised weights
  const model = { arch, params: initParams(arch, 0), provenance: {} };
  const bytes = await exportOnnx(model);
  tf.dispose(Object.values(model.params));
  const threads = Number(peer.slice(-1));
  const web = peer.startsWith('ort-web');
  const ort = web ? await import('onnxruntime-web') : await import('onnxruntime-node');
  if (web) (ort as typeof import('onnxruntime-web')).env.wasm.numThreads = threads;
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: [web ? 'wasm' : 'cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  return {
    details: { threads, onnxruntime: ort.env.versions?.common ?? '?' },
    async run() {
      const input = new ort.Tensor('float32', data, [1, size, size, 3]);
      const result = await session.run({ image: input });
      return meanOf(result.output!.data as Float32Array);
    },
    async close() {
      await session.release();
    },
  };
}

/** `setupPeer` plus `warmup` untimed images, for `serveContestant`. */
async function warmedPeer(peer: Peer, upsample: Upsample, size: number, warmup: number): Promise<ServedContestant> {
  const served = await setupPeer(peer, upsample, size);
  for (let i = 0; i < warmup; i++) await served.run();
  return served;
}

async function main(): Promise<void> {
  const sizes = argument('sizes', '256,512').split(',').map(Number);
  // --runs: the old name, so that earlier commands still run.
  const rounds = Number(argument('rounds', argument('runs', '7')));
  const warmup = Number(argument('warmup', '1'));
  const settleMs = Number(argument('settle-ms', '100'));
  const modes = argument('upsample', 'resize,transpose').split(',') as Upsample[];
  const peers = argument('peers', PEERS.filter((p) => p !== 'tfjs-cpu').join(',')).split(',') as Peer[];
  const unknown = peers.filter((p) => !(PEERS as readonly string[]).includes(p));
  if (unknown.length > 0) throw new Error(`unknown peer(s) ${unknown.join(', ')}; known: ${PEERS.join(', ')}`);
  const cpuMax = Number(argument('cpu-max', '256'));
  const outFile = argument('out', 'bench/RESULTS-infer-peers.md');
  const host = hostReport();
  const lines: string[] = [
    '# Inference: perceptual (tfjs) against onnxruntime on the same network',
    '',
    ...host.lines.map((l) => `${l}  `),
    '',
    `tfjs-core ${tf.version_core}. Style network (width 1, 5 residual blocks), random weights (initParams seed 0), batch 1. ` +
      `Per (upsampling, size), every peer runs in its own process, started once and warmed up with ${warmup} image(s); then ${rounds} rounds, ` +
      'each peer one image per round in turn, the order rotated each round (bench/interleave.ts). ' +
      `"vs tfjs-wasm, same round" = median over the rounds of peer ms / tfjs-wasm ms in that round, with the range (above 1: perceptual on WASM is faster); ` +
      '"ratio of medians" divides the two medians. Peak RSS is each process\'s own. "out mean" checks every peer computed the same network.',
    '',
    '| upsample | size | peer | ms/image median (every round) | images/s | GFLOP/s | peak RSS MB | out mean | vs tfjs-wasm, same round (range) | ratio of medians |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  const footer = (done: boolean) => [
    '',
    `GFLOP per image (2 x conv MACs): ${modes.map((m) => sizes.map((s) => `${m} ${s}: ${((2 * styleMacs(resolveStyleArch({ upsample: m }), s, s)) / 1e9).toFixed(1)}`).join(', ')).join('; ')}.`,
    '',
    done ? `${host.end()}.` : 'Run incomplete: the rows above are what it measured before it stopped.',
  ];
  // Written after every block, so an interrupted run keeps what it measured.
  const write = (done: boolean) => writeFileSync(outFile, `${[...lines, ...footer(done)].join('\n')}\n`);
  for (const l of host.lines) console.log(l);
  const script = fileURLToPath(import.meta.url);
  for (const upsample of modes) {
    const gflop = (size: number) => (2 * styleMacs(resolveStyleArch({ upsample }), size, size)) / 1e9;
    for (const size of sizes) {
      const active = peers.filter((p) => p !== 'tfjs-cpu' || size <= cpuMax);
      const contestants: ProcessContestant[] = [];
      const setupFailures = new Map<string, string>();
      try {
        for (const peer of active) {
          console.log(`${upsample} ${size}: starting ${peer}`);
          try {
            contestants.push(await startProcessContestant(peer, script, [CONTESTANT_FLAG, peer, upsample, String(size), String(warmup)]));
          } catch (error) {
            setupFailures.set(peer, (error as Error).message.split('\n')[0]!.slice(0, 200));
          }
        }
        const result = await interleave(contestants, {
          rounds,
          settleMs,
          onSample: (round, name, s) => console.log(`  round ${round + 1}/${rounds} ${name}: ${s.ms.toFixed(0)} ms`),
        });
        for (const c of contestants) await c.close();
        const summaries = new Map(summarize(result, contestants.some((c) => c.name === BASE) ? BASE : undefined).map((s) => [s.name, s]));
        for (const peer of active) {
          const s = summaries.get(peer);
          const failure = setupFailures.get(peer) ?? s?.failure;
          const c = contestants.find((x) => x.name === peer);
          const row =
            failure !== undefined || s === undefined || s.ms.length === 0
              ? `| ${upsample} | ${size} | ${peer} | failed: ${(failure ?? 'no sample').replace(/\|/g, '/')} | | | | | | |`
              : `| ${upsample} | ${size} | ${peer} | ${s.medianMs.toFixed(0)} (${s.ms.map((t) => t.toFixed(0)).join(', ')}) | ${(1000 / s.medianMs).toFixed(2)} | ` +
                `${(gflop(size) / (s.medianMs / 1000)).toFixed(1)} | ${c?.maxRssMb()?.toFixed(0) ?? '?'} | ${s.check?.toFixed(5) ?? '?'} | ` +
                `${peer === BASE ? '1' : `**${formatRatio(s.vsBase)}**`} | ${s.vsBase?.ofMedians.toFixed(2) ?? '-'} |`;
          console.log(row);
          lines.push(row);
        }
        write(false);
      } finally {
        for (const c of contestants) await c.close();
      }
    }
  }
  write(true);
  console.log(host.end());
  console.log(`wrote ${outFile}`);
}

const contestantAt = process.argv.indexOf(CONTESTANT_FLAG);
if (contestantAt >= 0) {
  const [peer, upsample, size, warmup] = process.argv.slice(contestantAt + 1);
  await serveContestant(() => warmedPeer(peer as Peer, upsample as Upsample, Number(size), Number(warmup)));
} else {
  await main();
}
