/**
 * @file x4 super-resolution against a published peer, speed and quality from
 * ONE run on the same tfjs-wasm backend (SIMD, 1 thread, perceptual's
 * runtime: `selectBackend({ backend: 'wasm' })`, as all of perceptual's
 * inference): this project's x4 SR model run by its own inference
 * (`transform(model, x, { lean: true })`, what `perceptual eval sr` runs; a
 * 128x128 image is below the upscale command's SR tile, so the CLI runs it
 * whole too), UpscalerJS's `@upscalerjs/esrgan-slim` x4 (the weights its npm
 * package ships, a tfjs layers model loaded with @tensorflow/tfjs-layers), and
 * MATLAB-style bicubic (src/metrics, plain TypeScript) as the floor.
 *
 * Speed: 128x128 -> 512x512, one fixed image (seeded noise, 8-bit); the three
 * methods run interleaved round by round, the order rotated each round
 * (bench/interleave.ts), so a load change on the host hits all of them;
 * `--warmup` untimed rounds, then the median of `--runs` rounds and the
 * median of the same-round ratios. Each time includes reading the output
 * back (`data()`).
 * Quality: Set5 x4 PSNR-Y / SSIM-Y (HR against the standard LR_bicubic_x4
 * inputs) with src/metrics under `perceptual eval sr`'s convention (HR
 * modcropped to a multiple of 4, 8-bit LR and outputs, BT.601 Y, 4-pixel
 * border); ours and bicubic are cross-checked against `evaluateSr` itself.
 *
 * esrgan-slim, as UpscalerJS 1.0 runs it (model definition: inputRange and
 * outputRange [0, 255]): the input is the 8-bit image as floats in 0..255,
 * not 0..1; the whole image goes through at once (no patches, so no extra
 * padding; its convs pad with zeros); the output is clipped to [0, 255] (that
 * clip is timed, as UpscalerJS does it) and divided by 255 for the metrics.
 *
 * Run: node --import tsx bench/sr-peers.bench.ts [--model models/sr-x4.safetensors] [--runs 10] [--warmup 1]
 *        [--size 128] [--set5 ../shared/data/sr/Set5 | --set5 none]
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { bicubicUpscale, evaluateSr, type FloatImage, type ImageQuality, imageQuality, loadTransformModel, quantizeImage, Random, selectBackend, transform, type TransformModel, type Uint8Image } from '../src/index.js';
import { meanQuality, modcrop } from '../src/eval/eval-sr.js';
import { listImages, matchByName, readFloatImage } from '../src/eval/image-folder.js';
import { argument, median } from './bench-args.js';
import { hostReport } from './host.js';
import { type Contestant, inProcess, interleave, sameRoundRatios, summarize } from './interleave.js';

const SCALE = 4;
const PEER = '@upscalerjs/esrgan-slim';

/** What `@upscalerjs/esrgan-slim/4x` exports (UpscalerJS ModelDefinition, the fields used here). */
interface UpscalerModelDefinition {
  scale: number;
  modelType: string;
  inputRange?: [number, number];
  outputRange?: [number, number];
  _internals: { path: string; name: string; version: string };
  meta?: Record<string, unknown>;
}

interface Peer {
  model: tfl.LayersModel;
  definition: UpscalerModelDefinition;
  /** The package's version (package.json). */
  version: string;
}

/** Loads esrgan-slim x4 from its npm package: the definition (CommonJS build, no tfjs import) and its layers model files. */
async function loadEsrganSlim(): Promise<Peer> {
  const require = createRequire(import.meta.url);
  const entry = require.resolve(`${PEER}/4x`);
  const definition = require(`${PEER}/4x`) as UpscalerModelDefinition; // its CommonJS build: module.exports = the definition
  // Its `exports` hide package.json: walk up from the entry to the package folder.
  const manifest = (dir: string) => (existsSync(join(dir, 'package.json')) ? (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string }) : {});
  let root = dirname(entry);
  while (manifest(root).name !== PEER) {
    if (dirname(root) === root) throw new Error(`cannot find the ${PEER} package folder above ${entry}`);
    root = dirname(root);
  }
  const [inLow, inHigh] = definition.inputRange ?? [0, 255];
  const [outLow, outHigh] = definition.outputRange ?? [0, 255];
  if (definition.scale !== SCALE || definition.modelType !== 'layers' || inLow !== 0 || inHigh !== 255 || outLow !== 0 || outHigh !== 255) {
    throw new Error(`${PEER}/4x changed: scale ${definition.scale}, ${definition.modelType} model, input ${definition.inputRange}, output ${definition.outputRange}; this bench expects x4, layers, 0..255 in and out`);
  }
  const modelJson = join(root, definition._internals.path);
  const json = JSON.parse(readFileSync(modelJson, 'utf8')) as {
    modelTopology: object;
    weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
    format?: string;
    generatedBy?: string;
    convertedBy?: string;
  };
  const shards = json.weightsManifest.flatMap((group) => group.paths.map((p) => readFileSync(join(dirname(modelJson), p))));
  const weightData = new Uint8Array(shards.reduce((n, s) => n + s.length, 0));
  let offset = 0;
  for (const shard of shards) {
    weightData.set(shard, offset);
    offset += shard.length;
  }
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
    weightData: weightData.buffer,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
  };
  const model = await tfl.loadLayersModel({ load: async () => artifacts });
  return { model, definition, version: manifest(root).version ?? '?' };
}

/** Ours on an 8-bit LR image: [0, 1] in, [0, 1] out (what eval sr runs). */
function runOurs(model: TransformModel, lr01: tf.Tensor4D): tf.Tensor4D {
  return transform(model, lr01, { lean: true });
}

/** esrgan-slim as UpscalerJS runs it: 0..255 in, prediction clipped to [0, 255]. */
function runPeer(peer: Peer, lr255: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.clipByValue(peer.model.predict(lr255) as tf.Tensor4D, 0, 255));
}

function floatImage(data: Float32Array, shape: readonly number[], divide = 1): FloatImage {
  const [, height, width] = shape as [number, number, number, number];
  return { width: width!, height: height!, channels: 3, data: divide === 1 ? data : Float32Array.from(data, (v) => v / divide) };
}

function lrTensors(lr: Uint8Image): { lr01: tf.Tensor4D; lr255: tf.Tensor4D } {
  const shape: [number, number, number, number] = [1, lr.height, lr.width, 3];
  return { lr01: tf.tensor4d(Float32Array.from(lr.data, (v) => v / 255), shape), lr255: tf.tensor4d(Float32Array.from(lr.data), shape) };
}

interface SetResult {
  ours: ImageQuality;
  peer: ImageQuality;
  bicubic: ImageQuality;
  perImage: string[];
  crossCheck: string;
}

/** Set5 x4 PSNR/SSIM of the three methods with src/metrics (eval sr's convention), or a reason to skip. */
async function set5Quality(dir: string, ours: TransformModel, peer: Peer): Promise<SetResult | string> {
  const hrDir = join(dir, 'HR');
  const lrDir = join(dir, `LR_bicubic_x${SCALE}`);
  if (!existsSync(hrDir) || !existsSync(lrDir)) return `${hrDir} or ${lrDir} not found`;
  const names = await listImages(hrDir, 'HR');
  const lrNames = await listImages(lrDir, 'LR');
  const rows: { ours: ImageQuality; peer: ImageQuality; bicubic: ImageQuality }[] = [];
  const perImage: string[] = [];
  for (const name of names) {
    const hr = modcrop(await readFloatImage(hrDir, name), SCALE);
    const lr = quantizeImage(await readFloatImage(lrDir, matchByName(name, lrNames, lrDir, 'LR')));
    if (lr.width * SCALE !== hr.width || lr.height * SCALE !== hr.height) throw new Error(`${name}: LR ${lr.width}x${lr.height} does not match HR ${hr.width}x${hr.height}`);
    const { lr01, lr255 } = lrTensors(lr);
    const o = runOurs(ours, lr01);
    const p = runPeer(peer, lr255);
    const border = { border: SCALE };
    const row = {
      ours: imageQuality(hr, floatImage((await o.data()) as Float32Array, o.shape), border),
      peer: imageQuality(hr, floatImage((await p.data()) as Float32Array, p.shape, 255), border),
      bicubic: imageQuality(hr, bicubicUpscale(lr, SCALE), border),
    };
    tf.dispose([lr01, lr255, o, p]);
    rows.push(row);
    perImage.push(`${name} ${lr.width}x${lr.height}: ours ${row.ours.psnrY.toFixed(2)}, esrgan-slim ${row.peer.psnrY.toFixed(2)}, bicubic ${row.bicubic.psnrY.toFixed(2)}`);
  }
  const mean = { ours: meanQuality(rows.map((r) => r.ours)), peer: meanQuality(rows.map((r) => r.peer)), bicubic: meanQuality(rows.map((r) => r.bicubic)) };
  // The same numbers through perceptual eval sr's own code path.
  const reference = await evaluateSr({ hrDir, lrDir, model: ours, scale: SCALE });
  const same = (a: ImageQuality, b: ImageQuality | undefined) => b !== undefined && Math.abs(a.psnrY - b.psnrY) < 1e-9 && Math.abs(a.ssimY - b.ssimY) < 1e-9;
  const crossCheck =
    same(mean.ours, reference.mean.model) && same(mean.bicubic, reference.mean.bicubic)
      ? 'ours and bicubic equal evaluateSr (perceptual eval sr) exactly'
      : `MISMATCH with evaluateSr: ours ${reference.mean.model?.psnrY.toFixed(4)} / bicubic ${reference.mean.bicubic.psnrY.toFixed(4)} dB there`;
  return { ...mean, perImage, crossCheck };
}

function paramCount(model: TransformModel): number {
  return Object.values(model.params).reduce((n, t) => n + t.size, 0);
}

async function main(): Promise<void> {
  const modelPath = argument('model', 'models/sr-x4.safetensors');
  const runs = Number(argument('runs', '10'));
  const warmup = Number(argument('warmup', '1'));
  const size = Number(argument('size', '128'));
  const set5 = argument('set5', '../shared/data/sr/Set5');
  if (!existsSync(modelPath)) {
    throw new Error(`${modelPath} does not exist; pass --model FILE (for example --model /tmp/exp/sr-fallback.safetensors) until models/sr-x4.safetensors is bundled`);
  }
  const host = hostReport();
  const runtime = await selectBackend({ backend: 'wasm', purpose: 'infer' });
  for (const line of host.lines) console.log(line);
  console.log(`tfjs-core ${tf.version_core}, tfjs-layers ${tfl.version_layers}, backend ${tf.getBackend()} ${JSON.stringify(runtime.details ?? {})}`);

  const ours = await loadTransformModel(modelPath);
  if (ours.arch.task !== 'sr' || ours.arch.scale !== SCALE) throw new Error(`${modelPath} is not an x${SCALE} SR model: ${JSON.stringify(ours.arch)}`);
  const peer = await loadEsrganSlim();
  console.log(`ours: ${modelPath}, ${paramCount(ours)} parameters, arch ${JSON.stringify(ours.arch)}`);
  console.log(`esrgan-slim: ${PEER} ${peer.version} ${peer.definition._internals.path}, ${peer.model.countParams()} parameters, meta ${JSON.stringify(peer.definition.meta ?? {})}`);

  // The timing input: one seeded 8-bit image, size x size.
  const random = new Random(1);
  const lr: Uint8Image = { width: size, height: size, channels: 3, data: Uint8Array.from({ length: size * size * 3 }, () => Math.floor(random.next() * 256)) };
  const { lr01, lr255 } = lrTensors(lr);
  // A network's time includes reading its output back; the tensor is freed after.
  const expectShape = (name: string, shape: readonly number[]): void => {
    if (shape[1] !== size * SCALE || shape[2] !== size * SCALE) throw new Error(`${name} returned ${shape}, expected ${size * SCALE}x${size * SCALE}`);
  };
  const readBack = (name: string, make: () => tf.Tensor): Contestant =>
    inProcess(name, async () => {
      const out = make();
      await out.data();
      out.dispose();
      expectShape(name, out.shape);
    });
  const contestants = [
    readBack('ours', () => runOurs(ours, lr01)),
    readBack('esrgan-slim', () => runPeer(peer, lr255)),
    inProcess('bicubic', () => {
      const out = bicubicUpscale(lr, SCALE);
      expectShape('bicubic', [1, out.height, out.width, out.channels]);
    }),
  ];
  const tensorsBefore = tf.memory().numTensors;
  const timing = await interleave(contestants, { rounds: runs, warmupRounds: warmup });
  if (timing.failures.size > 0) throw new Error([...timing.failures].map(([name, why]) => `${name}: ${why}`).join('; '));
  if (tf.memory().numTensors !== tensorsBefore) console.log(`note: ${tf.memory().numTensors - tensorsBefore} tensors leaked during timing`);
  tf.dispose([lr01, lr255]);
  const loadAfterTiming = host.end();

  const quality = set5 === 'none' ? 'skipped by --set5 none' : await set5Quality(set5, ours, peer);
  const summaries = new Map(summarize(timing).map((row) => [row.name, row]));
  const med = (name: string) => summaries.get(name)!.medianMs;
  const ratio = med('ours') / med('esrgan-slim');
  const sameRound = (name: string) => median(sameRoundRatios(timing, 'ours', name));
  const q = (pick: (s: SetResult) => ImageQuality) => (typeof quality === 'string' ? 'SKIP' : `${pick(quality).psnrY.toFixed(2)} / ${pick(quality).ssimY.toFixed(4)}`);
  const list = (name: string) => summaries.get(name)!.ms.map((t) => t.toFixed(0)).join(', ');
  console.log('');
  console.log(`| x${SCALE}, ${size}x${size} -> ${size * SCALE}x${size * SCALE} | runs on | median ms (${runs} runs after ${warmup} warm-up) | ours / this: medians (same round) | Set5 x4 PSNR-Y / SSIM-Y |`);
  console.log('| --- | --- | --- | --- | --- |');
  console.log(`| ours (${modelPath}) | tfjs-wasm, perceptual's inference | **${med('ours').toFixed(0)}** (${list('ours')}) | 1 | ${q((s) => s.ours)} |`);
  console.log(`| esrgan-slim (${PEER} ${peer.version}, x4) | tfjs-wasm, tfjs-layers predict | **${med('esrgan-slim').toFixed(0)}** (${list('esrgan-slim')}) | **${ratio.toFixed(2)}** (${sameRound('esrgan-slim').toFixed(2)}) | ${q((s) => s.peer)} |`);
  console.log(`| bicubic (MATLAB-style, src/metrics) | plain TypeScript | ${med('bicubic').toFixed(0)} (${list('bicubic')}) | ${(med('ours') / med('bicubic')).toFixed(2)} (${sameRound('bicubic').toFixed(2)}) | ${q((s) => s.bicubic)} |`);
  console.log('');
  console.log(`ours / esrgan-slim: ${ratio.toFixed(2)} from the medians, ${sameRound('esrgan-slim').toFixed(2)} as the median of the same-round ratios (below 1: ours is faster)`);
  if (typeof quality === 'string') console.log(`SKIP Set5 PSNR: ${quality}`);
  else {
    for (const line of quality.perImage) console.log(`  ${line}`);
    console.log(`Set5 check: ${quality.crossCheck}`);
  }
  console.log(`${loadAfterTiming} (end of the timing)`);
  tf.dispose(Object.values(ours.params));
  peer.model.dispose();
}

await main().catch((error: unknown) => {
  console.error(`sr-peers: ${(error as Error).message}`);
  process.exitCode = 1;
});
