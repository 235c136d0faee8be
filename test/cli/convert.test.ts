/**
 * `perceptual convert ml5 DIR -o MODEL`: the model file holds exactly the
 * checkpoint's parameters (F32) or their half-precision roundings (F16),
 * with the ml5 architecture, and a missing --out is a clear error.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { importMl5Checkpoint } from '../../src/weights/ml5-checkpoint.js';
import { loadModel } from '../../src/weights/model-file.node.js';
import { useBackend } from '../helpers/backends.js';
import { cli, tempDir } from './helpers.js';

const WAVE = fileURLToPath(new URL('../../../shared/data/ml5-style/wave', import.meta.url));
const haveWave = existsSync(join(WAVE, 'manifest.json'));
if (!haveWave) console.log(`convert.test: skipping the conversion tests: ${WAVE} is absent`);

test('convert ml5 without --out names the flag', async () => {
  const run = await cli(['convert', 'ml5', WAVE]);
  assert.is.not(run.code, 0);
  assert.match(run.stderr, /--out must be the path of the \.safetensors file to write/);
});

if (haveWave) {
  test('convert ml5: F32 keeps every parameter exactly, F16 within half-precision rounding; the arch is ml5\'s', async () => {
    await useBackend('cpu');
    const tmp = await tempDir('convert');
    const reference = await importMl5Checkpoint(WAVE);
    try {
      for (const dtype of ['F32', 'F16'] as const) {
        const out = tmp.path(`wave-${dtype}.safetensors`);
        const run = await cli(['convert', 'ml5', WAVE, '-o', out, '--dtype', dtype, '--backend', 'cpu']);
        assert.is(run.code, 0, run.stderr);
        assert.is(run.stdout.trim(), out);
        const model = await loadModel(out);
        try {
          assert.equal(model.arch, reference.arch);
          assert.equal(Object.keys(model.params).sort(), Object.keys(reference.params).sort());
          for (const [name, value] of Object.entries(reference.params)) {
            const a = value.dataSync();
            const b = model.params[name]!.dataSync();
            let worst = 0;
            for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(a[i]!), 2 ** -14));
            // F16 keeps 11 significant bits: relative rounding error at most 2^-11 (above the subnormal range).
            assert.ok(dtype === 'F32' ? worst === 0 : worst <= 2 ** -11, `${dtype} ${name}: relative error ${worst}`);
          }
        } finally {
          tf.dispose(Object.values(model.params));
        }
      }
    } finally {
      tf.dispose(Object.values(reference.params));
      await tmp.remove();
    }
  });
}

test.run();
