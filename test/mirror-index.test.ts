/**
 * src/mirror-index.ts: the mirror boundary rule against values derived by
 * hand (mirroring x = [0, 1, ..., n - 1] on paper, including folding more
 * than once), and against tf.mirrorPad itself over the paddings it accepts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mirrorIndex, type MirrorMode } from '../src/mirror-index.js';
import { useBackend } from './helpers/backends.js';

const indices = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, k) => from + k);
const mirrored = (range: number[], n: number, mode: MirrorMode): number[] => range.map((i) => mirrorIndex(i, n, mode));

test('n = 4, one mirror image: reflect skips the edge pixel, symmetric repeats it', () => {
  assert.equal(mirrored([-1, -2, -3, 4, 5, 6], 4, 'reflect'), [1, 2, 3, 2, 1, 0]);
  assert.equal(mirrored([-1, -2, -3, 4, 5, 6], 4, 'symmetric'), [0, 1, 2, 3, 2, 1]);
  assert.equal(mirrored([-4, 7], 4, 'symmetric'), [3, 0]);
  for (const mode of ['reflect', 'symmetric'] as const) assert.equal(mirrored([0, 1, 2, 3], 4, mode), [0, 1, 2, 3], mode);
});

test('n = 4, beyond one mirror image the rule folds again (period 6 reflect, 8 symmetric)', () => {
  // reflect, from -9: 3 2 1 0 1 2 3 2 1 | 0 1 2 3 | 2 1 0 1 2 3 2 1 0 (to 12)
  assert.equal(mirrored(indices(-9, -4), 4, 'reflect'), [3, 2, 1, 0, 1, 2]);
  assert.equal(mirrored(indices(7, 12), 4, 'reflect'), [1, 2, 3, 2, 1, 0]);
  // symmetric, from -11: 2 1 0 0 1 2 3 3 2 1 0 | 0 1 2 3 | 3 2 1 0 0 1 2 3 3 (to 12)
  assert.equal(mirrored(indices(-11, -5), 4, 'symmetric'), [2, 1, 0, 0, 1, 2, 3]);
  assert.equal(mirrored(indices(8, 12), 4, 'symmetric'), [0, 1, 2, 3, 3]);
});

test('short axes: n = 2 alternates; n = 1 always reads its one pixel', () => {
  assert.equal(mirrored(indices(-3, 4), 2, 'reflect'), [1, 0, 1, 0, 1, 0, 1, 0]);
  assert.equal(mirrored(indices(-3, 4), 2, 'symmetric'), [1, 1, 0, 0, 1, 1, 0, 0]);
  for (const mode of ['reflect', 'symmetric'] as const) assert.equal(mirrored(indices(-3, 3), 1, mode), [0, 0, 0, 0, 0, 0, 0], mode);
});

test('matches tf.mirrorPad for every padding it accepts (reflect up to n - 1, symmetric up to n)', async () => {
  await useBackend('cpu');
  for (let n = 1; n <= 5; n++) {
    for (const mode of ['reflect', 'symmetric'] as const) {
      const pad = mode === 'reflect' ? n - 1 : n;
      const padded = tf.tidy(() => tf.mirrorPad(tf.range(0, n, 1, 'int32'), [[pad, pad]], mode).arraySync() as number[]);
      assert.equal(mirrored(indices(-pad, n - 1 + pad), n, mode), padded, `${mode} n=${n}`);
    }
  }
});

test.run();
