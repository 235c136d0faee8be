import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { loadLayersLossNetwork } from '../../src/networks/layers-loss-network.js';
import { Random } from '../../src/random.js';
import { conv2DPathCalls } from '../../src/runtime/kernels/conv2d-simd.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';
import { maxRelativeError as relativeToPeak } from './layers-reference.js';
import { maxRelativeError, refConv, refMap, refMaxPool, type Plane } from './vgg-reference.js';

const dir = mkdtempSync(join(tmpdir(), 'perceptual-layers-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const darknet = fileURLToPath(new URL('../../../shared/data/darknet/darknettiny', import.meta.url));
const haveDarknet = existsSync(join(darknet, 'model.json'));
if (!haveDarknet) console.log(`SKIP darknettiny tests: ${darknet} is absent`);

const random = new Random(42);
const values = (n: number, scale = 0.5) => Float32Array.from({ length: n }, () => random.normal() * scale);

/** A Keras-2-style functional model: conv(3x3, bias, relu) -> pool -> conv(1x1) -> BN -> LeakyReLU -> Add(leaky, bn) -> Flatten. */
const tiny = {
  a: { kernel: values(3 * 3 * 3 * 4), bias: values(4) },
  b: { kernel: values(4 * 2) },
  bn: { gamma: values(2), beta: values(2), mean: values(2), variance: Float32Array.from(values(2), (v) => Math.abs(v) + 0.5) },
};
function writeTinyModel(folder: string, mutate?: (json: Record<string, any>) => void): string {
  const path = join(dir, folder);
  rmSync(path, { recursive: true, force: true });
  const layer = (name: string, className: string, config: object, inbound: string[]) => ({ name, class_name: className, config: { name, ...config }, inbound_nodes: inbound.length ? [inbound.map((i) => [i, 0, 0, {}])] : [] });
  const topology = {
    keras_version: '2.1.6',
    model_config: {
      class_name: 'Model',
      config: {
        name: 'tiny',
        layers: [
          layer('input_1', 'InputLayer', { batch_input_shape: [null, 6, 6, 3] }, []),
          layer('conv_a', 'Conv2D', { filters: 4, kernel_size: [3, 3], strides: [1, 1], padding: 'same', activation: 'relu', use_bias: true }, ['input_1']),
          layer('pool', 'MaxPooling2D', { pool_size: [2, 2], strides: [2, 2], padding: 'valid' }, ['conv_a']),
          layer('conv_b', 'Conv2D', { filters: 2, kernel_size: [1, 1], strides: [1, 1], padding: 'same', activation: 'linear', use_bias: false }, ['pool']),
          layer('bn', 'BatchNormalization', { axis: -1, epsilon: 0.01 }, ['conv_b']),
          layer('leaky', 'LeakyReLU', { alpha: 0.1 }, ['bn']),
          layer('add', 'Add', {}, ['leaky', 'bn']),
          layer('flatten', 'Flatten', {}, ['add']),
        ],
      },
    },
  };
  const manifest = [
    { paths: ['group1-shard1of1'], weights: [{ name: 'conv_a/kernel', shape: [3, 3, 3, 4], dtype: 'float32' }, { name: 'conv_a/bias', shape: [4], dtype: 'float32' }] },
    {
      paths: ['group2-shard1of2', 'group2-shard2of2'],
      weights: [
        { name: 'conv_b/kernel', shape: [1, 1, 4, 2], dtype: 'float32' },
        { name: 'bn/gamma', shape: [2], dtype: 'float32' },
        { name: 'bn/beta', shape: [2], dtype: 'float32' },
        { name: 'bn/moving_mean', shape: [2], dtype: 'float32' },
        { name: 'bn/moving_variance', shape: [2], dtype: 'float32' },
      ],
    },
  ];
  const json: Record<string, any> = { modelTopology: topology, weightsManifest: manifest };
  mutate?.(json);
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, 'model.json'), JSON.stringify(json));
  const bytes = (...arrays: Float32Array[]) => Buffer.concat(arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)));
  writeFileSync(join(path, 'group1-shard1of1'), bytes(tiny.a.kernel, tiny.a.bias));
  const group2 = bytes(tiny.b.kernel, tiny.bn.gamma, tiny.bn.beta, tiny.bn.mean, tiny.bn.variance);
  writeFileSync(join(path, 'group2-shard1of2'), group2.subarray(0, 20)); // shards split mid-tensor, as the converter does
  writeFileSync(join(path, 'group2-shard2of2'), group2.subarray(20));
  return path;
}
function tinyReference(pixels: Float32Array, h: number, w: number): Record<string, Plane> {
  const input: Plane = { h, w, c: 3, data: Float64Array.from(pixels) };
  const convA = refMap(refConv(input, tiny.a.kernel, 3, 4, tiny.a.bias), (v) => Math.max(0, v));
  const pool = refMaxPool(convA);
  const convB = refConv(pool, tiny.b.kernel, 1, 2);
  const bn = refMap(convB, (v, c) => ((v - tiny.bn.mean[c]!) / Math.sqrt(tiny.bn.variance[c]! + 0.01)) * tiny.bn.gamma[c]! + tiny.bn.beta[c]!);
  const leaky = refMap(bn, (v) => (v > 0 ? v : 0.1 * v));
  const add = { ...bn, data: bn.data.map((v, i) => v + leaky.data[i]!) };
  return { conv_a: convA, pool, conv_b: convB, bn, leaky, add };
}

for (const backend of TEST_BACKENDS) {
  test(`[${backend}] a model written by the test matches plain loops, at a size other than its input shape`, async () => {
    await useBackend(backend);
    const net = await loadLayersLossNetwork(writeTinyModel('tiny'));
    assert.is(net.name, 'layers:tiny');
    assert.equal(net.taps, ['conv_a', 'pool', 'conv_b', 'bn', 'leaky', 'add'], 'Flatten is unsupported and left out');
    const pixels = Float32Array.from({ length: 9 * 8 * 3 }, () => random.next());
    const images = tf.tensor4d(pixels, [1, 9, 8, 3]);
    const maps = net.features(images, ['conv_a', 'leaky', 'add']);
    const ref = tinyReference(pixels, 9, 8);
    for (const tap of ['conv_a', 'leaky', 'add']) {
      assert.equal(maps[tap]!.shape, [1, ref[tap]!.h, ref[tap]!.w, ref[tap]!.c], tap);
      const error = maxRelativeError(maps[tap]!.dataSync(), ref[tap]!.data);
      assert.ok(error < 1e-5, `${tap}: ${error}`);
    }
    tf.dispose(Object.values(maps));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const nonZero = tf.tidy(() => tf.any(tf.notEqual(tf.grad((x: tf.Tensor) => tf.sum(net.features(x as tf.Tensor4D, ['add']).add!))(images), 0)));
      assert.is(nonZero.dataSync()[0], 1);
      nonZero.dispose();
    }
    assert.is(tf.memory().numTensors, before);
    images.dispose();
    net.dispose();
  });
}

test('tensors stay flat across calls and dispose frees the weights', async () => {
  await useBackend('cpu');
  const start = tf.memory().numTensors;
  const net = await loadLayersLossNetwork(join(writeTinyModel('flat'), 'model.json'), { taps: ['pool'], preprocess: (x) => tf.mul(x, 2) });
  assert.is(tf.memory().numTensors - start, 2, 'only conv_a kernel and bias are kept for tap pool');
  const images = tf.ones([1, 4, 4, 3]) as tf.Tensor4D;
  tf.dispose(Object.values(net.features(images, ['pool'])));
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) tf.dispose(Object.values(net.features(images, ['pool'])));
  assert.is(tf.memory().numTensors, before);
  net.dispose();
  images.dispose();
  assert.is(tf.memory().numTensors, start);
});

test('errors name the model, the layer and the fix', async () => {
  await useBackend('cpu');
  const path = writeTinyModel('errors');
  await rejects(loadLayersLossNetwork(path, { taps: ['flatten'] }), /tap flatten needs layer flatten of type Flatten, which perceptual cannot run/);
  await rejects(loadLayersLossNetwork(path, { taps: ['nope'] }), /options\.taps must be layers of .*model\.json, each one of conv_a, pool, conv_b, bn, leaky, add \(received "nope"\)/);
  await rejects(loadLayersLossNetwork(path, { taps: [] }), /options\.taps must be a non-empty list of layers of .*model\.json, from conv_a, pool, conv_b, bn, leaky, add; leave it out to expose them all \(received \[\]\)/);
  rmSync(join(path, 'group2-shard2of2'));
  await rejects(loadLayersLossNetwork(path), /weight shard group2-shard2of2 is missing \(ENOENT\)/);
  const noBn = writeTinyModel('nobn', (json) => json.weightsManifest[1].weights.splice(4, 1));
  await rejects(loadLayersLossNetwork(noBn), /weight bn\/moving_variance of BatchNormalization layer bn is missing from weightsManifest/);
  const graph = writeTinyModel('graph', (json) => (json.modelTopology = { node: [] }));
  await rejects(loadLayersLossNetwork(graph), /modelTopology is not a Keras layers model/);
  const net = await loadLayersLossNetwork(writeTinyModel('ok'));
  const images = tf.zeros([1, 4, 4, 3]) as tf.Tensor4D;
  assert.throws(() => net.features(images, ['flatten']), /taps must be one of conv_a, pool, conv_b, bn, leaky, add \(received "flatten"\)/);
  images.dispose();
  net.dispose();
});

async function rejects(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await promise;
  } catch (error) {
    assert.match((error as Error).message, pattern);
    return;
  }
  assert.unreachable('expected a rejection');
}

test('darknettiny: tap shapes at 64x64 and leaky_re_lu_1 against plain loops from the shard bytes', async () => {
  if (!haveDarknet) return console.log('SKIP: ../shared/data/darknet/darknettiny is absent');
  await useBackend('cpu');
  const net = await loadLayersLossNetwork(darknet, { taps: ['leaky_re_lu_1', 'leaky_re_lu_4', 'leaky_re_lu_8', 'global_average_pooling2d_1'] });
  assert.is(net.name, 'layers:darknettiny');
  const pixels = Float32Array.from({ length: 64 * 64 * 3 }, () => random.next());
  const images = tf.tensor4d(pixels, [1, 64, 64, 3]);
  const maps = net.features(images, ['leaky_re_lu_1', 'leaky_re_lu_4', 'leaky_re_lu_8', 'global_average_pooling2d_1']);
  assert.equal(maps.leaky_re_lu_1!.shape, [1, 64, 64, 16]);
  assert.equal(maps.leaky_re_lu_4!.shape, [1, 16, 16, 128]);
  assert.equal(maps.leaky_re_lu_8!.shape, [1, 8, 8, 256]);
  assert.equal(maps.global_average_pooling2d_1!.shape, [1, 1, 1, 1000]);

  // Independent check: read conv2d_1/kernel and batch_normalization_1/* straight from the shards.
  const json = JSON.parse(readFileSync(join(darknet, 'model.json'), 'utf8'));
  const read = (name: string): Float32Array => {
    for (const group of json.weightsManifest) {
      let offset = 0;
      for (const spec of group.weights) {
        const count = spec.shape.reduce((a: number, b: number) => a * b, 1);
        if (spec.name === name) {
          const bytes = Buffer.concat(group.paths.map((p: string) => readFileSync(join(darknet, p))));
          return new Float32Array(bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + offset + 4 * count));
        }
        offset += 4 * count;
      }
    }
    throw new Error(`${name} not in manifest`);
  };
  const [gamma, beta, mean, variance] = ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((p) => read(`batch_normalization_1/${p}`));
  const conv = refConv({ h: 64, w: 64, c: 3, data: Float64Array.from(pixels) }, read('conv2d_1/kernel'), 3, 16);
  const ref = refMap(conv, (v, c) => {
    const y = ((v - mean![c]!) / Math.sqrt(variance![c]! + 0.001)) * gamma![c]! + beta![c]!;
    return y > 0 ? y : 0.10000000149011612 * y;
  });
  const error = maxRelativeError(maps.leaky_re_lu_1!.dataSync(), ref.data);
  assert.ok(error < 1e-4, `leaky_re_lu_1: ${error}`);
  tf.dispose([images, ...Object.values(maps)]);
  net.dispose();
});

test('darknettiny at 64x64 runs on every wasm conv kernel and agrees with cpu: maps, and image gradients through leaky ReLUs and max pools', async () => {
  if (!haveDarknet) return console.log('SKIP: ../shared/data/darknet/darknettiny is absent');
  const taps = ['leaky_re_lu_1', 'leaky_re_lu_4', 'leaky_re_lu_8'];
  // Photo-like input with flat (saturated) patches: equal values tie in the max pools.
  const pixels = Float32Array.from({ length: 64 * 64 * 3 }, (_, i) => {
    const [y, x, c] = [Math.floor(i / 192), Math.floor(i / 3) % 64, i % 3];
    return Math.min(1, Math.max(0, 0.5 + 0.6 * Math.sin(0.15 * x + 0.1 * y + c) + 0.05 * Math.cos(2.3 * x * y)));
  });
  const weighting = Float32Array.from({ length: 8 * 8 * 256 }, (_, i) => Math.cos(i));
  const results: Record<string, { maps: Float32Array[]; grad: Float32Array }> = {};
  for (const backend of ['wasm', 'cpu'] as const) {
    await useBackend(backend);
    const net = await loadLayersLossNetwork(darknet, { taps });
    const images = tf.tensor4d(pixels, [1, 64, 64, 3]);
    const before = conv2DPathCalls();
    const maps = net.features(images, taps);
    const forward = conv2DPathCalls();
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(net.features(x as tf.Tensor4D, ['leaky_re_lu_8']).leaky_re_lu_8!, tf.tensor4d(weighting, [1, 8, 8, 256]))))(images);
    const after = conv2DPathCalls();
    if (backend === 'wasm') {
      // 3x3 convs with C % 4 = 0 and at least 256 output pixels: conv2d_2 (32x32), conv2d_4 and conv2d_6 (16x16);
      // stock: conv2d_1 (3 input channels), the 1x1 convs and conv2d_8 (8x8).
      assert.equal([forward.winograd - before.winograd, forward['rgb-output'] - before['rgb-output'], forward.stock - before.stock], [3, 0, 5]);
      // conv2d_1's input gradient is a 3x3 conv from 16 channels to 3: the RGB-output kernel.
      assert.ok(after['rgb-output'] - forward['rgb-output'] >= 1 && after.winograd - forward.winograd >= 6, JSON.stringify(after));
    }
    results[backend] = { maps: taps.map((t) => maps[t]!.dataSync() as Float32Array), grad: g.dataSync() as Float32Array };
    tf.dispose([images, g, ...Object.values(maps)]);
    net.dispose();
  }
  taps.forEach((tap, i) => {
    const error = relativeToPeak(results.wasm!.maps[i]!, results.cpu!.maps[i]!);
    // Winograd rounding through BN and leaky ReLUs: 1e-6 to 2e-6 observed.
    assert.ok(error < 1e-5, `${tap}: max relative error ${error}`);
  });
  // Max-pool ties go to the same pixel on both backends (src/runtime/kernels/max-pool-grad.ts).
  const error = relativeToPeak(results.wasm!.grad, results.cpu!.grad);
  assert.ok(error < 1e-5, `image gradient: max |difference| / max |cpu| ${error}`);
});

test('darknettiny: gradients reach the image on wasm', async () => {
  if (!haveDarknet) return console.log('SKIP: ../shared/data/darknet/darknettiny is absent');
  await useBackend('wasm');
  const net = await loadLayersLossNetwork(darknet, { taps: ['leaky_re_lu_6'] });
  const images = tf.randomUniform([1, 32, 32, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const g = tf.grad((x: tf.Tensor) => tf.sum(tf.square(net.features(x as tf.Tensor4D, ['leaky_re_lu_6']).leaky_re_lu_6!)))(images);
  assert.equal(g.shape, [1, 32, 32, 3]);
  const peak = tf.max(tf.abs(g));
  assert.ok(peak.dataSync()[0]! > 0);
  tf.dispose([g, peak, images]);
  net.dispose();
});

test.run();
