import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolvePerceptualLossOptions, styleTargets } from '../../src/losses/perceptual.js';
import { loadLossNetwork } from '../../src/networks/load-loss-network.js';
import { optimizeImage } from '../../src/optimize/optimize-image.js';
import { optimizeSr, optimizeStyle } from '../../src/optimize/optimize-tasks.js';
import { Random } from '../../src/random.js';
import type { LossNetwork } from '../../src/types.js';
import { useBackend } from '../helpers/backends.js';

let vgg: LossNetwork;
const loss = resolvePerceptualLossOptions({ contentLayers: ['relu2_2'], styleLayers: ['relu1_2', 'relu2_2'], styleWeight: 30, contentWeight: 1, tvWeight: 1e-2 });

function randomImage(seed: number, size = 8): tf.Tensor4D {
  const random = new Random(seed);
  return tf.tensor4d(Float32Array.from({ length: size * size * 3 }, () => random.next()), [1, size, size, 3]);
}

test.before(async () => {
  await useBackend('cpu');
  // A tiny random-weight VGG-16 up to relu2_2 (two blocks): cheap, same code path as the real one.
  vgg = await loadLossNetwork({ network: 'vgg16', seed: 1, taps: ['relu1_2', 'relu2_2'] });
});

test.after(() => vgg.dispose());

test('style transfer loss decreases monotonically over 10 L-BFGS iterations (8x8, cpu); tensors do not leak', async () => {
  const content = randomImage(1);
  const style = randomImage(2, 10);
  const counts: number[] = [];
  const before = tf.memory().numTensors;
  const r = await optimizeStyle(vgg, loss, { content, style }, { iterations: 10, onProgress: () => counts.push(tf.memory().numTensors) });
  assert.is(r.iterations, 10);
  assert.is(r.history.length, 11);
  for (let i = 1; i < r.history.length; i++) assert.ok(r.history[i]! < r.history[i - 1]!, `loss rose at iteration ${i}: ${r.history.join(', ')}`);
  assert.ok(r.history[10]! < 0.5 * r.history[0]!, `loss only went from ${r.history[0]} to ${r.history[10]}`);
  assert.ok(counts.every((c) => c === counts[0]), `numTensors changed across iterations: ${counts.join(', ')}`);
  assert.equal(r.image.shape, [1, 8, 8, 3]);
  const [min, max] = [tf.min(r.image), tf.max(r.image)];
  assert.ok(min.dataSync()[0]! >= 0 && max.dataSync()[0]! <= 1);
  tf.dispose([min, max, r.image]);
  assert.is(tf.memory().numTensors, before, 'optimizeStyle leaked or freed tensors');
  // The reported terms are recomputed on the returned (clamped) image: total = weighted sum of the parts.
  const t = r.terms;
  const expected = loss.contentWeight * t.feature.relu2_2! + loss.styleWeight * (t.style.relu1_2! + t.style.relu2_2!) + loss.tvWeight * t.tv!;
  assert.ok(Math.abs(t.total - expected) <= 1e-5 * Math.abs(expected));
  tf.dispose([content, style]);
});

test('a tiny Adam step under the sigmoid parameterisation lowers the loss (gradient sign and chain rule through sigmoid)', async () => {
  // Adam's first step is -lr * sign(g) per element, so f(x1) - f(x0) ~ -lr * |g|_1 < 0 iff the
  // gradient (through sigmoid, the loss network and the Grams) has the right sign everywhere it matters.
  const content = randomImage(3, 8);
  const style = randomImage(4, 8);
  const grams = styleTargets(vgg, style, loss.styleLayers);
  const features = tf.tidy(() => vgg.features(content, loss.contentLayers));
  const init = randomImage(5, 8);
  const r = await optimizeImage(vgg, loss, init, { content, contentFeatures: features, styleGrams: grams }, { optimizer: 'adam', bounds: 'sigmoid', iterations: 1, lr: 1e-3 });
  assert.ok(r.history[1]! < r.history[0]!, `one tiny Adam step did not lower the loss: ${r.history.join(' -> ')}`);
  tf.dispose([r.image, content, style, init, ...Object.values(grams), ...Object.values(features)]);
});

test('Adam with clip keeps every snapshot in [0, 1]; L-BFGS with clip is refused', async () => {
  const content = randomImage(6, 8);
  const style = randomImage(7, 8);
  const seen: number[] = [];
  const r = await optimizeStyle(vgg, loss, { content, style, init: 'noise' }, {
    optimizer: 'adam', iterations: 2, lr: 0.2, snapshotEvery: 1,
    onSnapshot: async (iteration, image) => {
      seen.push(iteration);
      const values = await image.data();
      assert.ok(values.every((v) => v >= 0 && v <= 1));
    },
  });
  assert.equal(seen, [1, 2]);
  r.image.dispose();
  try {
    await optimizeStyle(vgg, loss, { content, style }, { bounds: 'clip', iterations: 1 });
    assert.unreachable('clip with L-BFGS should throw');
  } catch (error) {
    assert.match((error as Error).message, /options\.bounds must be 'none' or 'sigmoid' with L-BFGS/);
  }
  tf.dispose([content, style]);
});

test('SR by feature inversion starts from bicubic and lowers the feature loss', async () => {
  const hr = randomImage(8, 9);
  const srLoss = resolvePerceptualLossOptions({ contentLayers: ['relu2_2'], styleLayers: [], styleWeight: 0, tvWeight: 1e-4 });
  const r = await optimizeSr(vgg, srLoss, hr, 2, { iterations: 3 });
  assert.equal(r.target.shape, [1, 8, 8, 3]);
  assert.equal(r.bicubic.shape, [1, 8, 8, 3]);
  assert.ok(r.history[3]! < r.history[0]!);
  tf.dispose([hr, r.image, r.bicubic, r.target]);
});

test.run();
