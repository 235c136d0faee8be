/**
 * @file The WASM kernels that loss evaluation runs on: perceptual's
 * `Mean`/`Sum` (wasm/src/reduce-sum.c), `MaxPoolGrad`
 * (wasm/src/max-pool-grad.c) and Gram product (wasm/src/gram.c) against the
 * stock tfjs-backend-wasm kernels (and the kernels they replace), and VGG's
 * convolutions on the Winograd / RGB-output kernels against the stock direct
 * (XNNPACK) one: time (same process, turns rotated round by round, medians
 * and same-round ratios) and error against float64 loops, on loss-sized
 * tensors.
 *
 * With --agreement SIZE (e.g. 128) it also runs every perceptual loss term
 * (feature, style, for a far and a near photo pair) through VGG-16 with
 * random weights and darknettiny on wasm and on the CPU backend, on a
 * SIZE x SIZE crop of two BSDS500 photos, and prints their relative
 * differences (CPU VGG takes minutes at 128).
 *
 * It also times one VGG-16 loss evaluation with its image gradient (what a
 * training step spends in the loss network) at --step-size (256) with
 * perceptual's kernels and with the previous ones swapped back in.
 *
 * Run: node --import tsx bench/loss-kernels.bench.ts [--repeats 7] [--sections kernels,convs,step]
 *        [--step-size 256] [--step-rounds 5] [--agreement 128]
 */
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { createVgg, disposeTerms, loadLayersLossNetwork, type LossNetwork, perceptualLoss, randomVggWeights, readImage, resolvePerceptualLossOptions, selectBackend, styleTargets, termsToNumbers } from '../src/index.js';
import { INSTANCE_NORM_KERNEL } from '../src/runtime/kernel-names.js';
import { makeBatchMatMulConfig } from '../src/runtime/kernels/batch-mat-mul.js';
import { conv2DPath } from '../src/runtime/kernels/conv2d-simd.js';
import { reduceLeadingAxes } from '../src/runtime/kernels/reduce-leading-axes.js';
import { stockKernel } from '../src/runtime/kernels/register-kernels.js';
import { argument, median } from './bench-args.js';

type Run = () => tf.TensorInfo | tf.Tensor;

/** Deterministic values: uniform in [0, 1) through `shape`. */
function uniform(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 4294967296;
  }
  return out;
}

/** Post-ReLU-like activations: half zeros, the rest spread over [0, 2), smoothly varying across rows. */
function activations(n: number, channels: number, seed: number): Float32Array {
  return uniform(n, seed).map((u, i) => Math.max(0, u - 0.5 + 0.5 * Math.sin(i / channels / 40)) * 2);
}

function maxRelative(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return diff / scale;
}

interface Contestant {
  readonly name: string;
  readonly run: Run;
}

/**
 * Times each contestant once per round for `repeats` rounds, the order rotated every round; a turn
 * repeats the call enough times to last ~20 ms (sub-millisecond kernels are otherwise noise). Returns
 * the median ms per call, per contestant the median of its same-round speed ratio to the first
 * contestant (so a host that slows down mid-run cancels out), and one output of each.
 */
function race(contestants: readonly Contestant[], repeats: number): { ms: number[]; ratios: number[]; outputs: Float32Array[] } {
  const backend = tf.backend();
  const release = (out: tf.TensorInfo | tf.Tensor): void => {
    if (out instanceof tf.Tensor) out.dispose();
    else backend.disposeData(out.dataId);
  };
  const outputs = contestants.map((c) => {
    const out = c.run();
    const data = (backend.readSync(out.dataId) as Float32Array).slice();
    release(out);
    return data;
  });
  const calls = contestants.map((c) => {
    const start = performance.now();
    release(c.run());
    return Math.max(1, Math.ceil(20 / Math.max(performance.now() - start, 0.01)));
  });
  const turn = (i: number): number => {
    const start = performance.now();
    for (let k = 0; k < calls[i]!; k++) release(contestants[i]!.run());
    return (performance.now() - start) / calls[i]!;
  };
  const times: number[][] = contestants.map(() => []);
  for (let r = 0; r < repeats; r++) {
    for (let t = 0; t < contestants.length; t++) {
      const i = (t + r) % contestants.length;
      times[i]!.push(turn(i));
    }
  }
  const ratios = times.map((t) => median(t.map((ms, r) => times[0]![r]! / ms)));
  return { ms: times.map(median), ratios, outputs };
}

function kernelTable(repeats: number): void {
  const backend = tf.backend();
  const mean = stockKernel('wasm', tf.Mean)!;
  const sum = stockKernel('wasm', tf.Sum)!;
  const ours = (name: string): tf.KernelConfig => tf.getKernel(name, 'wasm')!;
  console.log('| operation | tensor | contestant | ms (median) | speed vs the first row (same round) | max rel. error vs float64 |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  const print = (operation: string, shape: string, names: string[], result: { ms: number[]; ratios: number[]; outputs: Float32Array[] }, want?: Float64Array): void => {
    names.forEach((name, i) => {
      const error = want === undefined ? 'exact (selection)' : maxRelative(result.outputs[i]!, want).toExponential(1);
      console.log(`| ${operation} | ${shape} | ${name} | ${result.ms[i]!.toFixed(2)} | ${result.ratios[i]!.toFixed(2)}x | ${error} |`);
    });
  };

  // The feature loss at relu1_2 of a 128x128 image: the mean of a million squared differences.
  {
    const shape = [1, 128, 128, 64];
    const data = uniform(128 * 128 * 64, 1).map((u) => (2 * u - 1) ** 2);
    let total = 0;
    for (const v of data) total += v;
    const x = tf.tensor(data, shape);
    const attrs = { axis: [0, 1, 2, 3], keepDims: false };
    const args = { inputs: { x }, backend, attrs };
    const result = race([
      { name: 'stock Mean', run: () => mean.kernelFunc(args) as tf.TensorInfo },
      { name: 'perceptual Mean', run: () => ours(tf.Mean).kernelFunc(args) as tf.TensorInfo },
    ], repeats);
    print('Mean, all axes', shape.join('x'), ['stock', 'perceptual'], result, Float64Array.of(total / data.length));
    x.dispose();
  }
  // A bias gradient: Sum over [0, 1, 2]; and instance-norm moments: Mean over [1, 2].
  for (const [operation, shape, axis, stock] of [
    ['Sum over [0, 1, 2]', [1, 256, 256, 32], [0, 1, 2], sum],
    ['Mean over [1, 2]', [1, 64, 64, 128], [1, 2], mean],
  ] as const) {
    const [, h, w, c] = shape;
    const data = activations(h * w * c, c, 2);
    const want = new Float64Array(c);
    for (let i = 0; i < data.length; i++) want[i % c] += data[i]!;
    if (stock === mean) want.forEach((v, i) => (want[i] = v / (h * w)));
    const x = tf.tensor(data, [...shape]);
    const args = { inputs: { x }, backend, attrs: { axis: [...axis], keepDims: false } };
    const result = race([
      { name: 'stock', run: () => stock.kernelFunc(args) as tf.TensorInfo },
      { name: 'AvgPool (previous)', run: () => reduceLeadingAxes(stock, args) as tf.TensorInfo },
      { name: 'perceptual', run: () => ours(stock.kernelName).kernelFunc(args) as tf.TensorInfo },
    ], repeats);
    print(operation, shape.join('x'), ['stock', 'AvgPool (previous)', 'perceptual'], result, want);
    x.dispose();
  }
  // Instance norm + ReLU of a style-network map (inference): the kernel against the tfjs ops it replaces.
  {
    const shape: [number, number, number, number] = [1, 64, 64, 128];
    const [, h, w, c] = shape;
    const data = activations(h * w * c, c, 10).map((v) => v + 3); // a mean well off zero, as conv outputs have
    const gammaData = uniform(c, 11).map((u) => 0.5 + u);
    const betaData = uniform(c, 12).map((u) => u - 0.5);
    const want = new Float64Array(data.length);
    for (let ch = 0; ch < c; ch++) {
      let m = 0;
      for (let p = 0; p < h * w; p++) m += data[p * c + ch]!;
      m /= h * w;
      let v = 0;
      for (let p = 0; p < h * w; p++) v += (data[p * c + ch]! - m) ** 2;
      v /= h * w;
      for (let p = 0; p < h * w; p++) want[p * c + ch] = Math.max(0, ((data[p * c + ch]! - m) / Math.sqrt(v + 1e-5)) * gammaData[ch]! + betaData[ch]!);
    }
    const x = tf.tensor4d(data, shape);
    const gamma = tf.tensor1d(gammaData);
    const beta = tf.tensor1d(betaData);
    const composed = (): tf.Tensor =>
      tf.tidy(() => {
        const { mean: m, variance: v } = tf.moments(x, [1, 2], true);
        return tf.relu(tf.add(tf.mul(tf.div(tf.sub(x, m), tf.sqrt(tf.add(v, 1e-5))), gamma), beta));
      });
    const result = race([
      { name: 'tfjs ops', run: composed },
      { name: 'perceptual', run: () => ours(INSTANCE_NORM_KERNEL).kernelFunc({ inputs: { x, gamma, beta }, backend, attrs: { epsilon: 1e-5, relu: true } }) as tf.TensorInfo },
    ], repeats);
    print('instance norm + ReLU', shape.join('x'), ['tfjs ops (moments, sub, div, ...)', 'perceptual'], result, want);
    tf.dispose([x, gamma, beta]);
  }
  // VGG's pool1 gradient at 256x256.
  {
    const shape: [number, number, number, number] = [1, 256, 256, 64];
    const input = tf.tensor4d(activations(256 * 256 * 64, 64, 3), shape);
    const output = tf.maxPool(input, 2, 2, 'valid');
    const dy = tf.randomNormal(output.shape, 0, 1, 'float32', 4);
    const args = { inputs: { dy, input, output }, backend, attrs: { filterSize: 2, strides: 2, pad: 'valid' } };
    const result = race([
      { name: 'stock', run: () => stockKernel('wasm', tf.MaxPoolGrad)!.kernelFunc(args) as tf.TensorInfo },
      { name: 'perceptual', run: () => ours(tf.MaxPoolGrad).kernelFunc(args) as tf.TensorInfo },
    ], repeats);
    print('MaxPoolGrad 2x2/2', shape.join('x'), ['stock', 'perceptual (first maximum, as cpu)'], result);
    tf.dispose([input, output, dy]);
  }
  // The Gram matrix of relu1_2 at 256x256 (F^T F over 65536 pixels), against float64 on three rows.
  {
    const [k, c] = [256 * 256, 64];
    const data = activations(k * c, c, 5);
    const f = tf.tensor3d(data, [1, k, c]);
    const rows = [0, 17, 63];
    const want = new Float64Array(rows.length * c);
    for (let p = 0; p < k; p++) {
      rows.forEach((i, r) => {
        const v = data[p * c + i]!;
        if (v !== 0) for (let j = 0; j < c; j++) want[r * c + j] += v * data[p * c + j]!;
      });
    }
    const previous = (): tf.TensorInfo => {
      // What ran before the blocked kernel: an explicit transpose, then the stock product.
      const ft = tf.transpose(f, [0, 2, 1]);
      const out = stockKernel('wasm', tf.BatchMatMul)!.kernelFunc({ inputs: { a: ft, b: f }, backend, attrs: { transposeA: false, transposeB: false } }) as tf.TensorInfo;
      ft.dispose();
      return out;
    };
    const args = { inputs: { a: f, b: f }, backend, attrs: { transposeA: true, transposeB: false } };
    const result = race([
      { name: 'previous', run: previous },
      { name: 'perceptual', run: () => ours(tf.BatchMatMul).kernelFunc(args) as tf.TensorInfo },
    ], repeats);
    const picked = result.outputs.map((out) => Float32Array.from(rows.flatMap((i) => Array.from(out.subarray(i * c, (i + 1) * c)))));
    print('Gram F^T F', `1x${k}x${c}`, ['transpose + stock product (previous)', 'perceptual (blocked)'], { ...result, outputs: picked }, want);
    f.dispose();
  }
}

/** float64 conv ('valid', stride 1) at `samples` output pixels, all output channels; returns [pixel][o] and the pixel indices. */
function sampledConv(x: Float32Array, xs: Shape4, w: Float32Array, ws: Shape4, samples: number): { want: Float64Array; pixels: number[] } {
  const [, h, wd, c] = xs;
  const [kh, kw, , o] = ws;
  const [oh, ow] = [h - kh + 1, wd - kw + 1];
  const pixels = Array.from({ length: samples }, (_, i) => Math.floor(((i + 0.5) / samples) * oh * ow));
  const want = new Float64Array(samples * o);
  pixels.forEach((pixel, s) => {
    const [r, q] = [Math.floor(pixel / ow), pixel % ow];
    for (let dy = 0; dy < kh; dy++)
      for (let dx = 0; dx < kw; dx++)
        for (let ci = 0; ci < c; ci++) {
          const v = x[((r + dy) * wd + q + dx) * c + ci]!;
          if (v === 0) continue;
          const base = ((dy * kw + dx) * c + ci) * o;
          for (let co = 0; co < o; co++) want[s * o + co] += v * w[base + co]!;
        }
  });
  return { want, pixels };
}

type Shape4 = [number, number, number, number];

/** The convs of VGG-16 at a 256x256 input and conv1_1's input gradient, each on the stock (direct) and on perceptual's kernel. */
function convTable(repeats: number): void {
  const backend = tf.backend();
  const stock = stockKernel('wasm', tf.Conv2D)!;
  const attrs = { strides: 1, pad: 'valid', dataFormat: 'NHWC', dilations: 1 };
  const cases: [string, Shape4, Shape4][] = [
    ['VGG conv1_2 at 256', [1, 258, 258, 64], [3, 3, 64, 64]],
    ['VGG conv2_2 at 256', [1, 130, 130, 128], [3, 3, 128, 128]],
    ['VGG conv3_3 at 256', [1, 66, 66, 256], [3, 3, 256, 256]],
    ['VGG conv4_3 at 256', [1, 34, 34, 512], [3, 3, 512, 512]],
    ['VGG conv1_1 input gradient at 256 (64 -> 3)', [1, 258, 258, 64], [3, 3, 64, 3]],
    ['style net output conv 9x9 32 -> 3 at 256', [1, 264, 264, 32], [9, 9, 32, 3]],
  ];
  console.log('\n| conv (valid, stride 1) | input x filter | kernel | ms (median) | speed vs stock (same round) | max rel. error vs float64 (sampled outputs) |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const [name, xs, ws] of cases) {
    const xData = activations(xs.reduce((p, d) => p * d, 1), xs[3], 6);
    const wData = uniform(ws.reduce((p, d) => p * d, 1), 7).map((u) => (u - 0.5) * Math.sqrt(24 / (ws[0] * ws[1] * ws[2])));
    const x = tf.tensor4d(xData, xs);
    const w = tf.tensor4d(wData, ws);
    const path = conv2DPath(tf.backend_util.computeConv2DInfo(xs, ws, 1, 1, 'valid'), 'float32');
    const result = race([
      { name: 'stock', run: () => stock.kernelFunc({ inputs: { x, filter: w }, backend, attrs }) as tf.TensorInfo },
      { name: path, run: () => tf.getKernel(tf.Conv2D, 'wasm')!.kernelFunc({ inputs: { x, filter: w }, backend, attrs }) as tf.TensorInfo },
    ], repeats);
    const { want, pixels } = sampledConv(xData, xs, wData, ws, 48);
    const o = ws[3];
    ['stock (XNNPACK, direct)', path].forEach((label, i) => {
      const got = Float32Array.from(pixels.flatMap((pixel) => Array.from(result.outputs[i]!.subarray(pixel * o, (pixel + 1) * o))));
      console.log(`| ${name} | ${xs.join('x')} * ${ws.join('x')} | ${label} | ${result.ms[i]!.toFixed(1)} | ${result.ratios[i]!.toFixed(2)}x | ${maxRelative(got, want).toExponential(1)} |`);
    });
    tf.dispose([x, w]);
  }
}

/**
 * One loss evaluation with its image gradient (the loss network's share of a training step): VGG-16
 * (random weights) to relu4_3 at SIZE x SIZE, content relu2_2 and style at four taps, with perceptual's
 * kernels and with the previous ones swapped back in round by round (Mean/Sum by AvgPool or stock, the
 * stock MaxPoolGrad, Gram products as a transpose and the stock product).
 */
function lossStepTable(size: number, repeats: number): void {
  const swapped = [tf.Mean, tf.Sum, tf.MaxPoolGrad, tf.BatchMatMul];
  const ours = new Map(swapped.map((name) => [name, tf.getKernel(name, 'wasm')!]));
  const previousReduce = (name: string): tf.KernelConfig => {
    const stock = stockKernel('wasm', name)!;
    return { ...stock, kernelFunc: (args) => reduceLeadingAxes(stock, args) };
  };
  const previous = new Map<string, tf.KernelConfig>([
    [tf.Mean, previousReduce(tf.Mean)],
    [tf.Sum, previousReduce(tf.Sum)],
    [tf.MaxPoolGrad, stockKernel('wasm', tf.MaxPoolGrad)!],
    [tf.BatchMatMul, makeBatchMatMulConfig(stockKernel('wasm', tf.BatchMatMul)!, { blocked: false })],
  ]);
  const use = (which: 'previous' | 'perceptual'): void => {
    for (const name of swapped) {
      tf.unregisterKernel(name, 'wasm');
      tf.registerKernel((which === 'previous' ? previous : ours).get(name)!);
    }
  };
  const vgg = createVgg(randomVggWeights('vgg16', 1, { upTo: 'relu4_3' }));
  const taps = ['relu1_2', 'relu2_2', 'relu3_3', 'relu4_3'];
  const options = resolvePerceptualLossOptions({ contentLayers: ['relu2_2'], styleLayers: taps }, vgg.taps);
  const content = tf.tensor4d(activations(size * size * 3, 3, 8).map((v) => Math.min(1, v)), [1, size, size, 3]);
  const generated = tf.tensor4d(uniform(size * size * 3, 9), [1, size, size, 3]);
  const grams = styleTargets(vgg, content, taps);
  const contentFeatures = vgg.features(content, ['relu2_2']);
  const step = (which: 'previous' | 'perceptual'): { ms: number; total: number } => {
    use(which);
    const start = performance.now();
    const { value, grad } = tf.tidy(() => {
      const g = tf.valueAndGrad((x: tf.Tensor) => perceptualLoss(vgg, options, { generated: x as tf.Tensor4D, contentFeatures, styleGrams: grams }).total);
      return g(generated);
    });
    const total = value.dataSync()[0]!;
    grad.dataSync();
    const ms = performance.now() - start;
    tf.dispose([value, grad]);
    return { ms, total };
  };
  const contestants = ['previous', 'perceptual'] as const;
  const totals = contestants.map((which) => step(which).total);
  const times: number[][] = [[], []];
  for (let r = 0; r < repeats; r++) {
    for (let turn = 0; turn < 2; turn++) {
      const i = (turn + r) % 2;
      times[i]!.push(step(contestants[i]!).ms);
    }
  }
  use('perceptual');
  const ratios = times[0]!.map((ms, r) => ms / times[1]![r]!);
  const ratio = median(ratios);
  console.log(`\n  rounds (previous / perceptual ms): ${times[0]!.map((ms, r) => `${ms.toFixed(0)}/${times[1]![r]!.toFixed(0)}`).join(', ')}`);
  console.log(`\nVGG-16 loss + image gradient at ${size}x${size} (content relu2_2, style relu1_2..relu4_3), median of ${repeats} rotated rounds:`);
  console.log(`  previous Mean/Sum, MaxPoolGrad, Gram product: ${median(times[0]!).toFixed(0)} ms (loss ${totals[0]})`);
  console.log(`  perceptual's: ${median(times[1]!).toFixed(0)} ms (loss ${totals[1]}); same-round speed-up ${ratio.toFixed(2)}x`);
  tf.dispose([content, generated, ...Object.values(grams), ...Object.values(contentFeatures)]);
  vgg.dispose();
}

async function agreement(size: number): Promise<void> {
  const folder = fileURLToPath(new URL('../../shared/data/', import.meta.url));
  const photos = ['train/bsds500/train/100075.jpg', 'train/bsds500/train/100080.jpg'].map((p) => folder + p);
  if (!photos.every(existsSync)) {
    console.log(`SKIP --agreement: ${photos.join(', ')} absent`);
    return;
  }
  await selectBackend({ backend: 'cpu' });
  const crops: Float32Array[] = [];
  for (const path of photos) {
    const image = await readImage(path);
    const crop = tf.slice(image, [0, 0, 0, 0], [1, size, size, 3]);
    crops.push(crop.dataSync() as Float32Array);
    tf.dispose([image, crop]);
  }
  const networks: [string, () => Promise<LossNetwork>, string[]][] = [
    ['vgg16 random(1)', async () => createVgg(randomVggWeights('vgg16', 1, { upTo: 'relu4_3' })), ['relu1_2', 'relu2_2', 'relu3_3', 'relu4_3']],
  ];
  const darknet = `${folder}darknet/darknettiny`;
  if (existsSync(`${darknet}/model.json`)) {
    const taps = ['leaky_re_lu_1', 'leaky_re_lu_2', 'leaky_re_lu_4', 'leaky_re_lu_8'];
    networks.push(['darknettiny', () => loadLayersLossNetwork(darknet, { taps }), taps]);
  }
  for (const [name, build, taps] of networks) {
    const terms: Record<string, Record<string, number>> = {};
    for (const backend of ['cpu', 'wasm'] as const) {
      await selectBackend({ backend });
      const network = await build();
      const options = resolvePerceptualLossOptions({ contentLayers: taps, styleLayers: taps }, network.taps);
      const [a, b] = crops.map((c) => tf.tensor4d(c, [1, size, size, 3]));
      const near = tf.tidy(() => tf.add(a!, tf.mul(tf.sub(b!, a!), 0.1))) as tf.Tensor4D;
      const grams = styleTargets(network, a!, taps);
      terms[backend] = {};
      for (const [pair, generated] of [['far', b!], ['near', near]] as const) {
        const result = perceptualLoss(network, options, { generated, content: a!, styleGrams: grams, computeUnweighted: true });
        const numbers = termsToNumbers(result);
        disposeTerms(result);
        for (const tap of taps) {
          terms[backend]![`${pair} feature ${tap}`] = numbers.feature[tap]!;
          terms[backend]![`${pair} style ${tap}`] = numbers.style[tap]!;
        }
      }
      tf.dispose([a!, b!, near, ...Object.values(grams)]);
      network.dispose();
    }
    const errors = Object.keys(terms.cpu!).map((k) => Math.abs(terms.wasm![k]! - terms.cpu![k]!) / Math.abs(terms.cpu![k]!));
    console.log(`\n${name} at ${size}x${size}: wasm vs cpu, relative difference of each loss term`);
    Object.keys(terms.cpu!).forEach((k, i) => console.log(`  ${k}: ${errors[i]!.toExponential(2)}`));
    console.log(`  largest: ${Math.max(...errors).toExponential(2)}`);
  }
}

async function main(): Promise<void> {
  const repeats = Number(argument('repeats', '9'));
  await selectBackend({ backend: 'wasm', purpose: 'train' });
  console.log(`${cpus()[0]?.model ?? 'unknown CPU'} x${cpus().length}, load ${loadavg()[0]!.toFixed(1)}, Node ${process.version}, tfjs ${tf.version_core}, wasm SIMD 1 thread, median of ${repeats}`);
  const sections = argument('sections', 'kernels,convs,step').split(',');
  if (sections.includes('kernels')) kernelTable(repeats);
  if (sections.includes('convs')) convTable(repeats);
  if (sections.includes('step')) lossStepTable(Number(argument('step-size', '256')), Number(argument('step-rounds', '5')));
  const size = argument('agreement', '');
  if (size !== '') await agreement(Number(size));
}

await main();
