/**
 * @file ONNX round trip: each transform network is exported, run in
 * onnxruntime-web (WASM, one thread) and compared with the project's own tfjs
 * output on the same weights and input (max abs difference < 1e-4). Norm
 * gammas/betas and biases are randomised so that every parameter matters.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-web';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_ONNX_OPSET, exportOnnx, minOnnxInputSize } from '../../src/export/onnx-export.js';
import { resolveSrArch, resolveStyleArch } from '../../src/networks/arch.js';
import { initParams } from '../../src/networks/init.js';
import { transform } from '../../src/networks/transform.js';
import { Random } from '../../src/random.js';
import type { TransformArch, TransformModel } from '../../src/types.js';
import { loadTransformModel } from '../../src/weights/load-transform-model.js';
import { useBackend } from '../helpers/backends.js';

ort.env.wasm.numThreads = 1;

/** The fields of a decoded ModelProto that the tests read (int64s are longs: Number() them). */
interface DecodedModel {
  irVersion: unknown;
  opsetImport: Array<{ version: unknown }>;
  metadataProps: Array<{ key: string; value: string }>;
  graph: {
    input: Array<{ type: { tensorType: { shape: { dim: Array<{ dimParam?: string; dimValue?: unknown }> } } } }>;
    initializer: Array<{ name: string }>;
    node: Array<{ opType: string }>;
  };
}
/**
 * A decoder independent of the exporter's: the ONNX messages that
 * onnxruntime-web generated from onnx.proto with protobufjs 7 (its package
 * exports do not list the file, hence the path).
 */
const OrtModelProto = (
  createRequire(import.meta.url)('../../node_modules/onnxruntime-web/lib/onnxjs/ort-schema/protobuf/onnx.js') as { onnx: { ModelProto: { decode(bytes: Uint8Array): DecodedModel } } }
).onnx.ModelProto;
const TOLERANCE = 1e-4;
const ML5_DIR = fileURLToPath(new URL('../../../shared/data/ml5-style/wave', import.meta.url));

/** A small model of `arch` with every non-kernel parameter drawn from U(0.5, 1.5) (not the init's 1s and 0s). */
function smallModel(arch: TransformArch, seed: number): TransformModel {
  const params = initParams(arch, seed);
  const random = new Random(seed + 1);
  for (const [name, value] of Object.entries(params)) {
    if (name.endsWith('.kernel')) continue;
    params[name] = tf.tensor(Float32Array.from({ length: value.size }, () => 0.5 + random.next()), value.shape);
    value.dispose();
  }
  return { arch, params, provenance: { source: 'test' } };
}

function randomImage(shape: [number, number, number, number], seed: number): tf.Tensor4D {
  const random = new Random(seed);
  return tf.tensor4d(Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => random.next()), shape);
}

/** Max |tfjs - onnxruntime| of the exported model on `shape`, after checking the output shapes agree. */
async function roundTrip(model: TransformModel, shape: [number, number, number, number], seed = 7): Promise<number> {
  const session = await ort.InferenceSession.create(await exportOnnx(model));
  const image = randomImage(shape, seed);
  const expected = transform(model, image);
  try {
    const result = await session.run({ image: new ort.Tensor('float32', image.dataSync() as Float32Array, shape) });
    const output = result.output!;
    assert.equal(output.dims, expected.shape, 'output shape');
    const a = expected.dataSync();
    const b = output.data as Float32Array;
    let max = 0;
    for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
    // Guard against a degenerate network whose output is constant (then any export would "match").
    const range = Math.max(...a) - Math.min(...a);
    assert.ok(range > 0.05, `output varies (range ${range})`);
    return max;
  } finally {
    tf.dispose([image, expected]);
    await session.release();
  }
}

test.before(async () => {
  await useBackend('cpu');
});

for (const upsample of ['resize', 'transpose'] as const) {
  test(`style network (${upsample}) matches onnxruntime-web, at a multiple of 4 and not`, async () => {
    const model = smallModel(resolveStyleArch({ width: 0.25, residualBlocks: 1, upsample }), 1);
    try {
      for (const shape of [[1, 20, 28, 3], [1, 18, 27, 3]] as Array<[number, number, number, number]>) {
        const diff = await roundTrip(model, shape);
        assert.ok(diff < TOLERANCE, `${upsample} ${shape.join('x')}: max abs diff ${diff}`);
      }
    } finally {
      tf.dispose(Object.values(model.params));
    }
  });
}

test('style network with a 5x5 first and 3x3 last conv matches onnxruntime-web', async () => {
  const model = smallModel(resolveStyleArch({ width: 0.25, residualBlocks: 1, c1Kernel: 5, outKernel: 3 }), 1);
  try {
    const diff = await roundTrip(model, [1, 18, 27, 3]);
    assert.ok(diff < TOLERANCE, `max abs diff ${diff}`);
  } finally {
    tf.dispose(Object.values(model.params));
  }
});

test('style network: the batch dimension is dynamic (2 images normalised separately)', async () => {
  const model = smallModel(resolveStyleArch({ width: 0.25, residualBlocks: 1 }), 2);
  try {
    const diff = await roundTrip(model, [2, 12, 16, 3]);
    assert.ok(diff < TOLERANCE, `max abs diff ${diff}`);
  } finally {
    tf.dispose(Object.values(model.params));
  }
});

test('ml5 variant (zero SAME padding, asymmetric stride 2, eps 1e-3, 255 scaling) matches', async () => {
  const model = smallModel(resolveStyleArch({ variant: 'ml5', width: 0.25, residualBlocks: 1 }), 3);
  try {
    for (const shape of [[1, 20, 28, 3], [1, 17, 22, 3]] as Array<[number, number, number, number]>) {
      const diff = await roundTrip(model, shape);
      assert.ok(diff < TOLERANCE, `ml5 ${shape.join('x')}: max abs diff ${diff}`);
    }
  } finally {
    tf.dispose(Object.values(model.params));
  }
});

test('a real ml5 checkpoint (../shared/data/ml5-style/wave) matches', async () => {
  if (!existsSync(ML5_DIR)) {
    console.log(`  skipped: ${ML5_DIR} is absent`);
    return;
  }
  const model = await loadTransformModel(ML5_DIR);
  try {
    const diff = await roundTrip(model, [1, 16, 20, 3]);
    assert.ok(diff < TOLERANCE, `max abs diff ${diff}`);
  } finally {
    tf.dispose(Object.values(model.params));
  }
});

for (const [skip, upsample] of [['bilinear', 'resize'], ['nearest', 'transpose'], ['none', 'resize']] as const) {
  test(`SR x2 (skip ${skip}, ${upsample}) matches onnxruntime-web`, async () => {
    const model = smallModel(resolveSrArch({ scale: 2, filters: 8, residualBlocks: 1, skip, upsample }), 4);
    try {
      const diff = await roundTrip(model, [1, 9, 14, 3]);
      assert.ok(diff < TOLERANCE, `max abs diff ${diff}`);
    } finally {
      tf.dispose(Object.values(model.params));
    }
  });
}

test('SR x4 (two upsampling stages) matches', async () => {
  const model = smallModel(resolveSrArch({ scale: 4, filters: 4, residualBlocks: 0 }), 5);
  try {
    const diff = await roundTrip(model, [1, 6, 7, 3]);
    assert.ok(diff < TOLERANCE, `max abs diff ${diff}`);
  } finally {
    tf.dispose(Object.values(model.params));
  }
});

test('SR sub-pixel head (DepthToSpace DCR) with the bicubic skip (edge Pad, phase Conv) matches, x2, x4 and x8', async () => {
  for (const scale of [2, 4, 8] as const) {
    const model = smallModel(resolveSrArch({ scale, upsample: 'shuffle', filters: 6, residualBlocks: 1 }), 10 + scale);
    try {
      assert.is(minOnnxInputSize(model), 3, 'a 5x5 first conv pads by 2');
      for (const shape of [[1, 7, 9, 3], [2, 3, 3, 3]] as Array<[number, number, number, number]>) {
        const diff = await roundTrip(model, shape);
        assert.ok(diff < TOLERANCE, `x${scale} ${shape.join('x')}: max abs diff ${diff}`);
      }
    } finally {
      tf.dispose(Object.values(model.params));
    }
  }
});

test('SR sub-pixel head with the paper-style skips and kernel sizes matches', async () => {
  for (const [skip, c1Kernel, outKernel] of [['bilinear', 9, 5], ['none', 3, 1]] as const) {
    const model = smallModel(resolveSrArch({ scale: 2, upsample: 'shuffle', filters: 5, residualBlocks: 1, skip, c1Kernel, outKernel }), 20);
    try {
      const diff = await roundTrip(model, [1, minOnnxInputSize(model) + 2, 8, 3]);
      assert.ok(diff < TOLERANCE, `${skip} c${c1Kernel} out${outKernel}: max abs diff ${diff}`);
    } finally {
      tf.dispose(Object.values(model.params));
    }
  }
});

test('the model declares opset, dynamic NHWC input, metadata, and one initializer per parameter', async () => {
  const arch = resolveStyleArch({ width: 0.25, residualBlocks: 2 });
  const model = smallModel(arch, 6);
  try {
    const decoded = OrtModelProto.decode(await exportOnnx(model, { opset: 13 }));
    assert.is(Number(decoded.opsetImport[0]?.version), 13);
    assert.is(Number(decoded.irVersion), 7, 'the IR version opset 13 shipped with');
    const graph = decoded.graph;
    const inputShape = graph.input[0]?.type.tensorType.shape;
    const dims = (inputShape?.dim ?? []).map((d) => d.dimParam || Number(d.dimValue));
    assert.equal(dims, ['batch', 'height', 'width', 3]);
    const meta = Object.fromEntries(decoded.metadataProps.map((p) => [p.key, p.value]));
    assert.equal(JSON.parse(meta.arch!), arch);
    assert.is(meta.min_input_size, String(minOnnxInputSize(model)));
    assert.is(meta.source, 'test');
    const names = new Set(graph.initializer.map((t) => t.name));
    for (const name of Object.keys(model.params)) assert.ok(names.has(name), `initializer ${name}`);
    assert.is(graph.node.filter((n) => n.opType === 'InstanceNormalization').length, 3 + 2 * 2 + 2);
    assert.is(DEFAULT_ONNX_OPSET, 17);
  } finally {
    tf.dispose(Object.values(model.params));
  }
});

test('exportOnnx rejects a bad opset and a missing parameter, and leaks no tensors', async () => {
  const model = smallModel(resolveSrArch({ scale: 2, filters: 2, residualBlocks: 0 }), 8);
  try {
    await exportOnnx(model);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await exportOnnx(model);
    assert.is(tf.memory().numTensors, before);
    try {
      await exportOnnx(model, { opset: 11 });
      assert.unreachable();
    } catch (error) {
      assert.match((error as Error).message, /options\.opset must be an integer in \[13, 21\] \(received 11\)/);
    }
    const { ['out.bias']: _missing, ...rest } = model.params;
    try {
      await exportOnnx({ ...model, params: rest });
      assert.unreachable();
    } catch (error) {
      assert.match((error as Error).message, /parameter 'out\.bias' is missing, expected \[3\]/);
    }
  } finally {
    tf.dispose(Object.values(model.params));
  }
});

test.run();
