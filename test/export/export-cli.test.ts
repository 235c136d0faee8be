/**
 * @file `perceptual export --onnx`: writes a model file's network as ONNX
 * that onnxruntime-web runs to the same numbers as `transform`; refuses to
 * overwrite its input and reports a missing model with the I/O exit code.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-web';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveSrArch } from '../../src/networks/arch.js';
import { initParams } from '../../src/networks/init.js';
import { transform } from '../../src/networks/transform.js';
import { saveModel } from '../../src/weights/model-file.node.js';
import { cli, tempDir } from '../cli/helpers.js';
import { useBackend } from '../helpers/backends.js';

ort.env.wasm.numThreads = 1;

test('export --onnx writes a model that onnxruntime-web runs like transform', async () => {
  await useBackend('cpu');
  const tmp = await tempDir('export');
  const model = { arch: resolveSrArch({ scale: 2, filters: 4, residualBlocks: 1 }), params: initParams(resolveSrArch({ scale: 2, filters: 4, residualBlocks: 1 }), 9), provenance: {} };
  const image = tf.tensor4d(Float32Array.from({ length: 6 * 7 * 3 }, (_, i) => (i * 37) % 101 / 100), [1, 6, 7, 3]);
  let expected: tf.Tensor4D | undefined;
  try {
    await saveModel(tmp.path('sr.safetensors'), model);
    const run = await cli(['export', '--onnx', tmp.path('sr.safetensors'), '-o', tmp.path('sr.onnx'), '--opset', '15', '--backend', 'cpu']);
    assert.is(run.code, 0, run.stderr);
    assert.is(run.stdout.trim(), tmp.path('sr.onnx'));
    assert.match(run.stderr, /wrote .*sr\.onnx .*sr network, opset 15; .*height and width >= 5/);
    const session = await ort.InferenceSession.create(readFileSync(tmp.path('sr.onnx')));
    const out = (await session.run({ image: new ort.Tensor('float32', image.dataSync() as Float32Array, [1, 6, 7, 3]) })).output!;
    expected = transform(model, image);
    assert.equal(out.dims, [1, 12, 14, 3]);
    const a = expected.dataSync();
    const b = out.data as Float32Array;
    let max = 0;
    for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
    assert.ok(max < 1e-4, `max abs diff ${max}`);
    await session.release();
  } finally {
    tf.dispose([image, ...(expected ? [expected] : []), ...Object.values(model.params)]);
    await tmp.remove();
  }
});

test('export refuses to overwrite its input, and names a missing model', async () => {
  const tmp = await tempDir('export');
  try {
    const same = await cli(['export', '--onnx', tmp.path('m.safetensors'), '-o', tmp.path('m.safetensors'), '--backend', 'cpu']);
    assert.is(same.code, 2);
    assert.match(same.stderr, /--output must be a different path from the model/);
    const missing = await cli(['export', '--onnx', tmp.path('absent.safetensors'), '-o', tmp.path('x.onnx'), '--backend', 'cpu']);
    assert.is(missing.code, 3);
    assert.match(missing.stderr, /Cannot open the model .*absent\.safetensors/);
    assert.not.ok(existsSync(tmp.path('x.onnx')));
  } finally {
    await tmp.remove();
  }
});

test.run();
