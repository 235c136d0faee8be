import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  disposeTerms, featureLoss, gramMatrix, perceptualLoss, pixelLoss, resolvePerceptualLossOptions, styleLoss,
  styleTargets, termsToNumbers, termsToNumbersAsync, totalVariationLoss,
} from '../../src/losses/index.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';
import { createFakeNetwork, type FakeNetwork } from './fake-network.js';
import { assertAllClose, assertNoLeak, randomNd, take, toTensor4d } from './reference.js';

const close = (a: number, b: number, what: string, rtol = 1e-5): void => assert.ok(Math.abs(a - b) <= rtol * Math.abs(b) + 1e-9, `${what}: ${a} vs ${b}`);

for (const backend of TEST_BACKENDS) {
  const test = suite(`perceptualLoss [${backend}]`);
  let net: FakeNetwork;
  let generated: tf.Tensor4D;
  let content: tf.Tensor4D;
  let styleImage: tf.Tensor4D;
  test.before(async () => {
    await useBackend(backend);
    net = createFakeNetwork();
    generated = toTensor4d(randomNd([2, 8, 8, 3], 50, 0, 1));
    content = toTensor4d(randomNd([2, 8, 8, 3], 51, 0, 1));
    styleImage = toTensor4d(randomNd([1, 6, 10, 3], 52, 0, 1));
  });
  test.after(() => {
    tf.dispose([generated, content, styleImage]);
    net.dispose();
  });

  const options = () => resolvePerceptualLossOptions({
    contentLayers: ['t2', 't1'], contentWeight: 2, contentLayerWeights: { t1: 0.5 },
    styleLayers: ['t1', 't3'], styleWeight: 3, styleLayerWeights: { t3: 4 },
    pixelWeight: 0.7, tvWeight: 0.1, tvPower: 1,
  }, net.taps);

  test('total is the weighted sum of the components, each equal to its own loss', () => {
    const opts = options();
    const grams = styleTargets(net, styleImage, opts.styleLayers);
    net.calls.length = 0;
    const terms = perceptualLoss(net, opts, { generated, content, styleGrams: grams });
    // One run on generated for the union of taps (in network order), one on content.
    assert.equal(net.calls, [['t1', 't2', 't3'], ['t2', 't1']]);
    const n = termsToNumbers(terms);
    // Independent path: run the network per tap and call each loss directly.
    const direct = (tap: string, f: (g: tf.Tensor4D) => tf.Scalar): number => {
      const maps = net.features(generated, [tap]);
      const value = take(f(maps[tap]!));
      tf.dispose(Object.values(maps));
      return value;
    };
    for (const tap of ['t1', 't2']) {
      const target = net.features(content, [tap]);
      close(n.feature[tap]!, direct(tap, (g) => featureLoss(g, target[tap]!)), `feature ${tap}`);
      tf.dispose(Object.values(target));
    }
    for (const tap of ['t1', 't3']) close(n.style[tap]!, direct(tap, (g) => styleLoss(g, grams[tap]!)), `style ${tap}`);
    close(n.pixel!, take(pixelLoss(generated, content)), 'pixel');
    close(n.tv!, take(totalVariationLoss(generated, { power: 1 })), 'tv');
    const expected = 2 * (1 * n.feature.t2! + 0.5 * n.feature.t1!) + 3 * (1 * n.style.t1! + 4 * n.style.t3!) + 0.7 * n.pixel! + 0.1 * n.tv!;
    close(n.total, expected, 'total');
    assert.ok(n.total > 0);
    disposeTerms(terms);
    tf.dispose(Object.values(grams));
  });

  test("styleNormalization 'target' divides each style layer's term by the squared Frobenius norm of its target Gram", () => {
    const opts = resolvePerceptualLossOptions({ contentLayers: [], styleLayers: ['t1', 't3'], styleWeight: 3, styleLayerWeights: { t3: 4 }, tvWeight: 0, styleNormalization: 'target' }, net.taps);
    const grams = styleTargets(net, styleImage, opts.styleLayers);
    const terms = perceptualLoss(net, opts, { generated, styleGrams: grams });
    const n = termsToNumbers(terms);
    // The norms summed in plain JS from the Gram entries, not with tf ops.
    const squaredNorm = (tap: string): number => Array.from(grams[tap]!.dataSync()).reduce((sum, v) => sum + v * v, 0);
    close(n.total, 3 * (n.style.t1! / squaredNorm('t1') + 4 * n.style.t3! / squaredNorm('t3')), 'normalised total', 1e-4);
    // The reported components stay the SPEC's plain style loss.
    const plain = perceptualLoss(net, { ...opts, styleNormalization: 'none' }, { generated, styleGrams: grams });
    close(n.style.t3!, termsToNumbers(plain).style.t3!, 'reported t3');
    disposeTerms(terms);
    disposeTerms(plain);
    tf.dispose(Object.values(grams));
  });

  test('a style target of one image is broadcast: the batch term is the mean of per-image terms', () => {
    const opts = resolvePerceptualLossOptions({ contentWeight: 0, contentLayers: [], styleLayers: ['t1', 't3'], tvWeight: 0 }, net.taps);
    const grams = styleTargets(net, styleImage, opts.styleLayers);
    assert.equal(grams.t1!.shape, [1, 4, 4]);
    assert.equal(grams.t3!.shape, [1, 2, 2]);
    const bothTerms = perceptualLoss(net, opts, { generated, styleGrams: grams });
    const both = termsToNumbers(bothTerms);
    disposeTerms(bothTerms);
    const perImage = [0, 1].map((b) => {
      const one = tf.slice(generated, [b, 0, 0, 0], [1, -1, -1, -1]);
      const terms = perceptualLoss(net, opts, { generated: one, styleGrams: grams });
      const numbers = termsToNumbers(terms);
      disposeTerms(terms);
      one.dispose();
      return numbers;
    });
    for (const tap of ['t1', 't3']) close(both.style[tap]!, (perImage[0]!.style[tap]! + perImage[1]!.style[tap]!) / 2, `style ${tap}`);
    // Style targets are the Grams of the style image's features.
    const maps = net.features(styleImage, ['t3']);
    const g = gramMatrix(maps.t3!);
    assertAllClose(grams.t3!.dataSync(), g.dataSync(), 1e-6, 1e-7, 'gram');
    tf.dispose([g, ...Object.values(maps), ...Object.values(grams)]);
  });

  test('weight-0 terms are skipped, or computed (not added) with computeUnweighted', () => {
    const opts = resolvePerceptualLossOptions({ contentLayers: ['t2'], styleWeight: 0, styleLayers: ['t1'], pixelWeight: 0, tvWeight: 0 }, net.taps);
    const grams = styleTargets(net, styleImage, ['t1']);
    net.calls.length = 0;
    const lean = perceptualLoss(net, opts, { generated, content, styleGrams: grams });
    assert.equal(net.calls, [['t2'], ['t2']]);
    assert.equal(Object.keys(lean.style), []);
    assert.is(lean.pixel, null);
    assert.is(lean.tv, null);
    const full = perceptualLoss(net, opts, { generated, content, styleGrams: grams, computeUnweighted: true });
    const a = termsToNumbers(lean);
    const b = termsToNumbers(full);
    assert.equal(Object.keys(b.style), ['t1']);
    assert.ok(b.style.t1! > 0 && b.pixel! > 0 && b.tv! > 0);
    close(b.total, a.total, 'total unchanged');
    close(a.total, a.feature.t2!, 'total = contentWeight 1 x feature');
    [lean, full].forEach(disposeTerms);
    tf.dispose(Object.values(grams));
  });

  test('precomputed contentFeatures give the same terms; content of batch 1 is broadcast', () => {
    const opts = resolvePerceptualLossOptions({ contentLayers: ['t2'], styleWeight: 0, styleLayers: [], tvWeight: 0 }, net.taps);
    const contentFeatures = net.features(content, ['t2']);
    const a = perceptualLoss(net, opts, { generated, content });
    const b = perceptualLoss(net, opts, { generated, contentFeatures });
    close(termsToNumbers(b).total, termsToNumbers(a).total, 'contentFeatures');
    const first = tf.slice(content, [0, 0, 0, 0], [1, -1, -1, -1]);
    const both = tf.concat([first, first]) as tf.Tensor4D;
    const c = perceptualLoss(net, opts, { generated, content: first });
    const d = perceptualLoss(net, opts, { generated, content: both });
    close(termsToNumbers(c).total, termsToNumbers(d).total, 'broadcast content');
    [a, b, c, d].forEach(disposeTerms);
    tf.dispose([first, both, ...Object.values(contentFeatures)]);
  });

  test('missing inputs and unknown taps throw with the fix', () => {
    const opts = resolvePerceptualLossOptions({ contentLayers: ['t2'], styleLayers: ['t1', 't3'] });
    assert.throws(() => perceptualLoss(net, opts, { generated, content }), (e: Error & { code?: string }) =>
      e instanceof TypeError && e.code === 'E_OPTIONS' && /inputs\.styleGrams must be the record from styleTargets because options\.styleWeight is 3; pass it or set styleWeight to 0/.test(e.message));
    assert.throws(() => perceptualLoss(net, opts, { generated, styleGrams: {} }), /inputs\.content must be an ImageBatch .*because options\.contentWeight is 1/);
    const grams = styleTargets(net, styleImage, ['t1']);
    assert.throws(() => perceptualLoss(net, opts, { generated, content, styleGrams: grams }), /options\.styleLayers\[1\] must be a key of inputs\.styleGrams \(t1\).*\(received "t3"\)/);
    const unknown = resolvePerceptualLossOptions({ contentLayers: ['t2'], styleLayers: ['t1', 'relu9_9'] });
    assert.throws(() => perceptualLoss(net, unknown, { generated, content, styleGrams: grams }), /options\.styleLayers\[1\] must be one of t1, t2, t3 \(the taps of fake\) \(received "relu9_9"\)/);
    assert.throws(() => styleTargets(net, generated, ['t1']), /Argument 'styleImage' passed to 'styleTargets' must be rank 4 NHWC with batch 1.*got shape \[2,8,8,3\]/);
    const small = tf.zeros([2, 4, 4, 3]) as tf.Tensor4D;
    assert.throws(() => perceptualLoss(net, opts, { generated, content: small, styleGrams: grams }), /Argument 'content' passed to 'perceptualLoss' must be \[2 or 1,8,8,3\]/);
    tf.dispose([small, ...Object.values(grams)]);
  });

  test('termsToNumbersAsync agrees with termsToNumbers; disposeTerms frees everything', async () => {
    const opts = options();
    const grams = styleTargets(net, styleImage, opts.styleLayers);
    const terms = perceptualLoss(net, opts, { generated, content, styleGrams: grams });
    assert.equal(await termsToNumbersAsync(terms), termsToNumbers(terms));
    disposeTerms(terms);
    assertNoLeak(() => disposeTerms(perceptualLoss(net, opts, { generated, content, styleGrams: grams, computeUnweighted: true })), 'perceptualLoss');
    assertNoLeak(() => tf.dispose(Object.values(styleTargets(net, styleImage, opts.styleLayers))), 'styleTargets');
    tf.dispose(Object.values(grams));
  });

  test('inside tf.variableGrads: gradient matches a directional finite difference, no leak', () => {
    const opts = resolvePerceptualLossOptions({
      contentLayers: ['t2'], styleLayers: ['t1', 't3'], styleWeight: 3, pixelWeight: 0.5, tvWeight: 0.2, tvPower: 2,
    }, net.taps);
    const grams = styleTargets(net, styleImage, opts.styleLayers);
    const x = tf.variable(generated, true, `perceptual-test-${backend}`);
    const lossOf = (image: tf.Tensor4D): tf.Scalar => {
      const terms = perceptualLoss(net, opts, { generated: image, content, styleGrams: grams });
      // Keep only the total (inside variableGrads the tape's tidy would free the rest anyway).
      tf.dispose([...Object.values(terms.feature), ...Object.values(terms.style), ...[terms.pixel, terms.tv].filter((t): t is tf.Scalar => t !== null)]);
      return terms.total;
    };
    const run = (): Float32Array => {
      const { value, grads } = tf.variableGrads(() => lossOf(x as tf.Tensor4D));
      const g = grads[x.name]!.dataSync() as Float32Array;
      tf.dispose([value, ...Object.values(grads)]);
      return g;
    };
    const grad = run();
    assertNoLeak(() => void run(), 'variableGrads');
    // Directional derivative along a random v: (L(x + h v) - L(x - h v)) / 2h in float32.
    const vNd = randomNd([2, 8, 8, 3], 53);
    const v = toTensor4d(vNd);
    const h = 1e-2;
    const at = (sign: number): number => {
      const shifted = tf.tidy(() => tf.add(generated, tf.mul(v, sign * h)) as tf.Tensor4D);
      const value = take(lossOf(shifted));
      shifted.dispose();
      return value;
    };
    const numeric = (at(1) - at(-1)) / (2 * h);
    const analytic = grad.reduce((s, g, i) => s + g * vNd.data[i]!, 0);
    // h = 1e-2: truncation O(h^2) and float32 cancellation (~1e-7 L / h) stay under 2e-3 relative (measured ~7e-5).
    if (process.env.LOSSES_VERBOSE) console.log(`[${backend}] directional derivative: analytic ${analytic}, numeric ${numeric}`);
    close(analytic, numeric, 'directional derivative', 2e-3);
    assert.ok(Math.abs(analytic) > 1e-3, 'gradient is not trivially zero');
    // A few SGD steps through optimizer.minimize lower the loss.
    const before = take(lossOf(x as tf.Tensor4D));
    const optimizer = tf.train.sgd(0.5);
    for (let i = 0; i < 5; i++) optimizer.minimize(() => lossOf(x as tf.Tensor4D)); // returnCost false: returns null
    assert.ok(take(lossOf(x as tf.Tensor4D)) < before);
    optimizer.dispose();
    tf.dispose([v, x, ...Object.values(grams)]);
  });

  test.run();
}
