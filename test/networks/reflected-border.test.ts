import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { withReflectedBorder } from '../../src/networks/reflected-border.js';
import type { FeatureMaps, ImageBatch, LossNetwork } from '../../src/types.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';
import { assertAllClose, randomNd, toTensor4d } from '../losses/reference.js';
import { reflectPadRef } from './layers-reference.js';

/** Zero-padded 'same' 3x3 convs: `a` at full resolution, `b` after a 2x2 max-pool (stride 2). */
function zeroPaddedNetwork(): LossNetwork & { disposed: () => boolean } {
  const w1 = toTensor4d(randomNd([3, 3, 3, 4], 1, -0.5, 0.5));
  const w2 = toTensor4d(randomNd([3, 3, 4, 2], 2, -0.5, 0.5));
  let disposed = false;
  return {
    name: 'zero-padded', taps: ['a', 'b'], source: 'random',
    features(images: ImageBatch, taps: readonly string[]): FeatureMaps {
      return tf.tidy(() => {
        const a = tf.conv2d(images as tf.Tensor4D, w1, 1, 'same');
        const b = tf.conv2d(tf.maxPool(a, 2, 2, 'same'), w2, 1, 'same');
        const all: FeatureMaps = { a, b };
        return Object.fromEntries(taps.map((t) => [t, all[t]!]));
      });
    },
    dispose: () => { tf.dispose([w1, w2]); disposed = true; },
    disposed: () => disposed,
  };
}

/** Reflection padding by hand (layers-reference.ts), as a tensor. */
function reflectPadByHand(x: { shape: number[]; data: Float64Array }, m: number): tf.Tensor4D {
  const [, h, w, c] = x.shape as [number, number, number, number];
  const padded = reflectPadRef({ h, w, c, data: x.data }, m);
  return tf.tensor4d(padded.data as Float32Array, [1, padded.h, padded.w, c]);
}

for (const backend of TEST_BACKENDS) {
  const test = suite(`withReflectedBorder [${backend}]`);
  test.before(() => useBackend(backend));

  test('taps keep the unpadded sizes, equal the plain network away from the border, and the reflected image\'s at it', () => {
    const net = zeroPaddedNetwork();
    const wrapped = withReflectedBorder(net, 4);
    const nd = randomNd([1, 10, 14, 3], 3, 0, 1);
    const image = toTensor4d(nd);
    const before = tf.memory().numTensors;
    const got = wrapped.features(image, ['a', 'b']);
    const plain = net.features(image, ['a', 'b']);
    const padded = reflectPadByHand(nd, 4);
    const reference = net.features(padded, ['a', 'b']);
    assert.equal(got.a!.shape, [1, 10, 14, 4]);
    assert.equal(got.b!.shape, [1, 5, 7, 2]);
    tf.tidy(() => {
      // Tap a: interior cells (1 px from the border) see no padding either way.
      const interior = (t: tf.Tensor, m: number) => tf.slice(t, [0, m, m, 0], [-1, t.shape[1]! - 2 * m, t.shape[2]! - 2 * m, -1]).dataSync();
      assertAllClose(interior(got.a!, 1), interior(plain.a!, 1), 1e-5, 1e-6, 'tap a interior');
      // Everywhere: the network on the hand-padded image, cropped by 4 / stride.
      assertAllClose(got.a!.dataSync(), tf.slice(reference.a!, [0, 4, 4, 0], [-1, 10, 14, -1]).dataSync(), 1e-5, 1e-6, 'tap a');
      assertAllClose(got.b!.dataSync(), tf.slice(reference.b!, [0, 2, 2, 0], [-1, 5, 7, -1]).dataSync(), 1e-5, 1e-6, 'tap b');
      // And the border does change: zero padding darkens what reflection continues.
      const corner = (t: tf.Tensor) => tf.slice(t, [0, 0, 0, 0], [1, 1, 1, -1]).dataSync();
      assert.ok(Math.abs(corner(got.a!)[0]! - corner(plain.a!)[0]!) > 1e-3, 'tap a corner differs from zero padding');
    });
    tf.dispose([...Object.values(got), ...Object.values(plain), ...Object.values(reference), padded]);
    assert.is(tf.memory().numTensors, before, 'no tensor leaked');
    image.dispose();
    wrapped.dispose();
    assert.ok(net.disposed(), 'disposing the wrapper disposes the network');
  });

  test('a margin the tap stride does not divide is refused, naming the stride', () => {
    const wrapped = withReflectedBorder(zeroPaddedNetwork(), 3);
    const image = tf.zeros([1, 8, 8, 3]) as tf.Tensor4D;
    assert.throws(() => wrapped.features(image, ['b']), /multiple of 2, the stride of tap b/);
    assert.throws(() => withReflectedBorder(zeroPaddedNetwork(), 0), /a positive integer/);
    image.dispose();
    wrapped.dispose();
  });

  test.run();
}
