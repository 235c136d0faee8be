/**
 * The executions of tiled style inference (src/infer/tile-execution.ts):
 * recorded statistics are the pre-norm map's moments (a float64 loop for the
 * first layer); applying an image's recorded statistics to that image gives
 * the lean run's output; sums accumulated over regions that partition the
 * image give every layer's recorded statistics back; statistics of another
 * architecture are refused, naming the layer.
 */
import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveStyleArch } from '../../src/networks/arch.js';
import { initParams } from '../../src/networks/init.js';
import { conv2dPadded } from '../../src/networks/layers/conv.js';
import { styleNetwork } from '../../src/networks/style-network.js';
import { mergeNormSums, statisticsFromSums, type LayerNormSums } from '../../src/infer/norm-statistics.js';
import { tileExecution } from '../../src/infer/tile-execution.js';
import type { StyleArch } from '../../src/types.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';
import { lcgValues, maxRelativeError } from '../networks/layers-reference.js';

const ARCHS: ReadonlyArray<[string, StyleArch]> = [
  ['johnson', resolveStyleArch({ width: 0.125, residualBlocks: 1 })],
  ['ml5', resolveStyleArch({ variant: 'ml5', width: 0.125, residualBlocks: 1 })],
];

for (const backend of TEST_BACKENDS) {
  test(`${backend}: record, then apply the record to the same image: the lean run's output; c1's record is its moments`, async () => {
    await useBackend(backend);
    const [h, w] = [16, 20];
    const x = tf.tensor4d(lcgValues(h * w * 3, 1, 0, 1), [1, h, w, 3]);
    for (const [name, arch] of ARCHS) {
      const params = initParams(arch, 2);
      const record = tileExecution({ mode: 'record' }, [h, w]);
      const recordedOut = styleNetwork(arch, params, x, { execution: record.execution });
      await record.read();
      const recorded = record.recorded!;
      assert.equal(Object.keys(recorded), ['c1.norm', 'd1.norm', 'd2.norm', 'res0.norm1', 'res0.norm2', 'u1.norm', 'u2.norm', ...(name === 'ml5' ? ['out.norm'] : [])]);
      // c1's input is the image itself (x 255 for ml5): its pre-norm map, moments in float64.
      const pre = tf.tidy(() => conv2dPadded(name === 'ml5' ? tf.mul(x, 255) : x, params['c1.kernel']!, 1, arch.variant === 'ml5' ? 'same' : 'reflect')).dataSync();
      const channels = recorded['c1.norm']!.mean.length;
      for (let c = 0; c < channels; c++) {
        let [sum, squares] = [0, 0];
        for (let i = c; i < pre.length; i += channels) sum += pre[i]!;
        const mean = sum / (h * w);
        for (let i = c; i < pre.length; i += channels) squares += (pre[i]! - mean) ** 2;
        const scale = Math.max(1, Math.abs(mean));
        assert.ok(Math.abs(recorded['c1.norm']!.mean[c]! - mean) < 1e-5 * scale, `${backend} ${name} mean ${c}`);
        assert.ok(Math.abs(recorded['c1.norm']!.variance[c]! / (squares / (h * w)) - 1) < 1e-4, `${backend} ${name} variance ${c}`);
      }
      const applied = styleNetwork(arch, params, x, { execution: tileExecution({ mode: 'apply', statistics: recorded }, [h, w]).execution });
      const lean = styleNetwork(arch, params, x, { lean: true });
      for (const [label, out] of [['record', recordedOut], ['apply', applied]] as const) {
        const error = maxRelativeError(out.dataSync(), lean.dataSync());
        assert.ok(error < 1e-4, `${backend} ${name} ${label} vs lean: ${error}`);
      }
      tf.dispose([recordedOut, applied, lean, ...Object.values(params)]);
    }
    x.dispose();
  });

  test(`${backend}: sums accumulated by regions that partition the image give back every layer's statistics`, async () => {
    await useBackend(backend);
    const [h, w] = [16, 24];
    const x = tf.tensor4d(lcgValues(h * w * 3, 3, 0, 1), [1, h, w, 3]);
    for (const [name, arch] of ARCHS) {
      const params = initParams(arch, 4);
      const record = tileExecution({ mode: 'record' }, [h, w]);
      tf.dispose(styleNetwork(arch, params, x, { execution: record.execution }));
      await record.read();
      const statistics = record.recorded!;
      // Each "tile" is the whole image (so every layer sees the whole image's maps) but owns only its region.
      const regions: Array<[number, number, number, number]> = [[0, 0, 8, 12], [0, 12, 8, 24], [8, 0, 16, 24]];
      const merged: Record<string, LayerNormSums> = {};
      for (const region of regions) {
        const tile = tileExecution({ mode: 'accumulate', statistics, region }, [h, w]);
        tf.dispose(styleNetwork(arch, params, x, { execution: tile.execution }));
        await tile.read();
        mergeNormSums(merged, tile.sums!);
      }
      const measured = statisticsFromSums(merged);
      assert.equal(Object.keys(measured).sort(), Object.keys(statistics).sort(), name);
      for (const [layer, want] of Object.entries(statistics)) {
        const got = measured[layer]!;
        const scale = Math.max(...Array.from(want.variance, Math.sqrt), 1e-3);
        for (let c = 0; c < want.mean.length; c++) {
          assert.ok(Math.abs(got.mean[c]! - want.mean[c]!) < 1e-4 * scale, `${backend} ${name} ${layer} mean ${c}: ${got.mean[c]} vs ${want.mean[c]}`);
          assert.ok(Math.abs(got.variance[c]! - want.variance[c]!) < 1e-3 * want.variance[c]! + 1e-6, `${backend} ${name} ${layer} variance ${c}: ${got.variance[c]} vs ${want.variance[c]}`);
        }
      }
      tf.dispose(Object.values(params));
    }
    x.dispose();
  });
}

test('cpu: statistics that lack a layer or have another channel count are refused, naming the layer', async () => {
  await useBackend('cpu');
  const arch = resolveStyleArch({ width: 0.125, residualBlocks: 0 });
  const params = initParams(arch, 5);
  const x = tf.tensor4d(lcgValues(8 * 8 * 3, 6, 0, 1), [1, 8, 8, 3]);
  const before = tf.memory().numTensors;
  const none = tileExecution({ mode: 'apply', statistics: {} }, [8, 8]).execution;
  assert.throws(() => styleNetwork(arch, params, x, { execution: none }), /no statistics of 4 channels for layer 'c1\.norm' \(have: none\)/);
  const wrong = { 'c1.norm': { mean: new Float32Array(3), variance: new Float32Array(3) } };
  assert.throws(() => styleNetwork(arch, params, x, { execution: tileExecution({ mode: 'apply', statistics: wrong }, [8, 8]).execution }), /layer 'c1\.norm' \(have: c1\.norm\)/);
  assert.is(tf.memory().numTensors, before, 'a refused run leaves no tensors');
  tf.dispose([x, ...Object.values(params)]);
});

test.run();
