/**
 * The band execution (src/infer/band-execution.ts) in one thread: a run of a
 * single band, whose rows beyond it are the image's own edge (edgeRows) and
 * whose sums are its own, equals the whole-image lean run for every variant
 * and upsampling mode (several bands across workers: test/serve/band-runner.test.ts).
 * bandForward refuses a band off the 4-pixel grid and aborts the exchange,
 * so the other workers stop instead of waiting.
 */
import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bandExecution } from '../../src/infer/band-execution.js';
import { bandForward, type BandModel } from '../../src/infer/band-forward.js';
import { resolveStyleArch } from '../../src/networks/arch.js';
import { initParams } from '../../src/networks/init.js';
import { edgeRows, type RowBand } from '../../src/networks/layers/row-band.js';
import { styleNetwork } from '../../src/networks/style-network.js';
import { createBandExchange, exchangeBand } from '../../src/serve/band-exchange.js';
import { TEST_BACKENDS, useBackend } from '../helpers/backends.js';
import { lcgValues, maxRelativeError } from '../networks/layers-reference.js';

/** The only band of an image: the image's own edge above and below, its own sums. */
function onlyBand(calls: { pads: number; sums: number }): RowBand {
  return {
    index: 0,
    count: 1,
    padRows(x, top, bottom, edge) {
      calls.pads++;
      return tf.tidy(() => tf.concat([edgeRows(x, top, 'top', edge), x, edgeRows(x, bottom, 'bottom', edge)], 1));
    },
    sumAll(values) {
      calls.sums++;
      return Float64Array.from(values);
    },
  };
}

for (const backend of TEST_BACKENDS) {
  test(`${backend}: one band through the band execution equals the whole-image lean run (johnson resize, with 5x5/3x3 ends and transpose, ml5)`, async () => {
    await useBackend(backend);
    const x = tf.tensor4d(lcgValues(20 * 12 * 3, 1, 0, 1), [1, 20, 12, 3]);
    const archs = [resolveStyleArch({ width: 0.125, residualBlocks: 1 }), resolveStyleArch({ width: 0.125, residualBlocks: 1, c1Kernel: 5, outKernel: 3 }), resolveStyleArch({ width: 0.125, residualBlocks: 1, upsample: 'transpose' }), resolveStyleArch({ variant: 'ml5', width: 0.125, residualBlocks: 1 })];
    for (const arch of archs) {
      const params = initParams(arch, 2);
      const calls = { pads: 0, sums: 0 };
      const band = styleNetwork(arch, params, x, { execution: bandExecution(onlyBand(calls)) });
      const lean = styleNetwork(arch, params, x, { lean: true });
      const error = maxRelativeError(band.dataSync(), lean.dataSync());
      assert.ok(error < 1e-4, `${backend} ${arch.variant} ${arch.upsample}: ${error}`);
      // 8 convs take rows through the band; each of 7 norms (8 for ml5) sums twice: the mean, then the variance about it.
      const norms = arch.variant === 'ml5' ? 8 : 7;
      assert.equal(calls, { pads: 8, sums: 2 * norms }, `${arch.variant} ${arch.upsample}`);
      tf.dispose([band, lean, ...Object.values(params)]);
    }
    x.dispose();
  });
}

test('cpu: bandForward refuses a band off the 4-pixel grid and aborts the exchange for the other workers', async () => {
  await useBackend('cpu');
  const arch = resolveStyleArch({ width: 0.125, residualBlocks: 0 });
  const model: BandModel = { arch, params: initParams(arch, 3), provenance: {} };
  const exchange = createBandExchange(2, 4 * 12 * 4, 17, 1000);
  const band = { data: new Uint8Array(12 * 6 * 3), width: 12, height: 6 };
  assert.throws(() => bandForward(model, band, exchange, 0), /a band of 12x6 pixels is not on the 4-pixel grid/);
  assert.throws(() => exchangeBand(exchange, 1).sumAll(new Float64Array(17)), /another worker of this banded run failed/);
  tf.dispose(Object.values(model.params));
});

test.run();
