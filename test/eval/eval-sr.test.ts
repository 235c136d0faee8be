import { mkdir } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluateSr, meanQuality, modcrop } from '../../src/eval/eval-sr.js';
import { resolveSrArch } from '../../src/networks/arch.js';
import { initParams } from '../../src/networks/init.js';
import { useBackend } from '../helpers/backends.js';
import { tempDir } from '../cli/helpers.js';
import { randomBytes } from '../metrics/reference-ssim.js';

test('modcrop keeps the top-left multiple of the scale', () => {
  const image = { width: 5, height: 3, channels: 3, data: Float32Array.from({ length: 45 }, (_, i) => i) };
  const cropped = modcrop(image, 2);
  assert.is(cropped.width, 4);
  assert.is(cropped.height, 2);
  assert.equal([...cropped.data.subarray(12, 15)], [15, 16, 17]);
});

test('meanQuality averages each metric', () => {
  const q = meanQuality([{ psnrY: 30, ssimY: 0.8, psnrRgb: 28, ssimRgb: 0.7 }, { psnrY: 32, ssimY: 0.9, psnrRgb: 30, ssimRgb: 0.9 }]);
  assert.equal(q, { psnrY: 31, ssimY: 0.8500000000000001, psnrRgb: 29, ssimRgb: 0.8 });
});

test('evaluateSr with a model leaves no tensors behind', async () => {
  await useBackend('cpu');
  const tmp = await tempDir('eval-sr');
  try {
    await mkdir(tmp.path('hr'));
    await sharp(randomBytes(16 * 16 * 3, 5), { raw: { width: 16, height: 16, channels: 3 } }).png().toFile(tmp.path('hr/a.png'));
    const arch = resolveSrArch({ scale: 2, filters: 4, residualBlocks: 1 });
    const model = { arch, params: initParams(arch, 3), provenance: {} };
    await evaluateSr({ hrDir: tmp.path('hr'), model });
    const before = tf.memory().numTensors;
    const first = await evaluateSr({ hrDir: tmp.path('hr'), model });
    const second = await evaluateSr({ hrDir: tmp.path('hr'), model });
    assert.is(tf.memory().numTensors, before);
    assert.equal(first, second);
    assert.is(first.scale, 2);
    tf.dispose(Object.values(model.params));
  } finally {
    await tmp.remove();
  }
});

test.run();
