import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { styleNetwork } from '../../src/networks/style-network.js';
import { transform } from '../../src/networks/transform.js';
import type { StyleArch, TransformModel } from '../../src/types.js';
import { loadTransformModel } from '../../src/weights/load-transform-model.js';
import { importMl5Checkpoint } from '../../src/weights/ml5-checkpoint.js';
import { useBackend } from '../helpers/backends.js';
import { conv2dRef, instanceNormRef, lcgValues, maxRelativeError } from '../networks/layers-reference.js';

type Coded = Error & { code?: string };

/** FORMAT.md section 2, typed in by hand: the 48 variable shapes in index order. */
const SHAPES: number[][] = [
  [9, 9, 3, 32], [32], [32],
  [3, 3, 32, 64], [64], [64],
  [3, 3, 64, 128], [128], [128],
  ...Array.from({ length: 10 }, () => [[3, 3, 128, 128], [128], [128]]).flat(),
  [3, 3, 64, 128], [64], [64],
  [3, 3, 32, 64], [32], [32],
  [9, 9, 32, 3], [3], [3],
];
const variableName = (i: number): string => (i === 0 ? 'Variable' : `Variable_${i}`);
const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
/** Small random kernels; shifts near 0 and scales near 1 (like trained ones), each variable distinct. */
const VALUES = SHAPES.map((shape, i) => {
  const isScale = shape.length === 1 && SHAPES[i - 1]!.length === 1;
  return isScale ? lcgValues(size(shape), 100 + i, 0.5, 1.5) : lcgValues(size(shape), 100 + i, -0.05, 0.05);
});

let root = '';
let good = '';

async function writeCheckpoint(dir: string, edit?: (manifest: Record<string, { filename: string; shape: number[] }>, files: Map<string, Uint8Array>) => void): Promise<string> {
  await mkdir(dir, { recursive: true });
  const manifest: Record<string, { filename: string; shape: number[] }> = {};
  const files = new Map<string, Uint8Array>();
  // Keys in JSON-sort order (Variable_1, Variable_10, ...), so only mapping by index gets it right.
  const order = SHAPES.map((_, i) => variableName(i)).sort();
  for (const name of order) {
    const i = name === 'Variable' ? 0 : Number(name.slice(9));
    manifest[name] = { filename: name, shape: SHAPES[i]! };
    files.set(name, new Uint8Array(VALUES[i]!.buffer.slice(0)));
  }
  edit?.(manifest, files);
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
  for (const [name, bytes] of files) await writeFile(join(dir, name), bytes);
  return dir;
}

test.before(async () => {
  await useBackend('wasm');
  root = await mkdtemp(join(tmpdir(), 'perceptual-ml5-'));
  good = await writeCheckpoint(join(root, 'good'));
});
test.after(async () => {
  await rm(root, { recursive: true, force: true });
});

test('maps Variable, Variable_1..47 by index: kernel, IN shift (beta), IN scale (gamma)', async () => {
  const model = await loadTransformModel(good);
  assert.equal(model.arch, { task: 'style', variant: 'ml5', width: 1, residualBlocks: 5, upsample: 'transpose', c1Kernel: 9, outKernel: 9 });
  const roles: Record<number, string> = {
    0: 'c1.kernel', 1: 'c1.norm.beta', 2: 'c1.norm.gamma', 3: 'd1.kernel', 8: 'd2.norm.gamma',
    9: 'res0.conv1.kernel', 10: 'res0.norm1.beta', 12: 'res0.conv2.kernel', 14: 'res0.norm2.gamma',
    33: 'res4.conv1.kernel', 38: 'res4.norm2.gamma', 39: 'u1.kernel', 40: 'u1.norm.beta', 41: 'u1.norm.gamma',
    42: 'u2.kernel', 45: 'out.kernel', 46: 'out.norm.beta', 47: 'out.norm.gamma',
  };
  for (const [index, name] of Object.entries(roles)) {
    const t = model.params[name]!;
    assert.equal(t.shape, SHAPES[Number(index)], name);
    assert.equal(Array.from(t.dataSync()), Array.from(VALUES[Number(index)]!), `${name} = ${variableName(Number(index))}`);
  }
  assert.is(Object.keys(model.params).length, 48);
  // A low-contrast input makes the conv1 variance ~1e-6, so the IN epsilon (1e-3, not 1e-5) is visible.
  const flat = lcgValues(12 * 12 * 3, 3, 0, 1e-4);
  const c1 = styleNetwork(model.arch as StyleArch, model.params, tf.tensor4d(flat, [1, 12, 12, 3]), { until: 'c1' }).dataSync();
  const conv1 = conv2dRef({ h: 12, w: 12, c: 3, data: flat.map((v) => 255 * v) }, VALUES[0]!, [9, 9, 32], 1, [4, 4], [12, 12], 'zero');
  assert.ok(maxRelativeError(c1, instanceNormRef(conv1, VALUES[2]!, VALUES[1]!, 1e-3, true).data) < 1e-3);
  assert.ok(maxRelativeError(c1, instanceNormRef(conv1, VALUES[2]!, VALUES[1]!, 1e-5, true).data) > 1e-1);
  // It runs: 16x16 in, 16x16 out in [0, 1].
  const x = tf.tensor4d(lcgValues(16 * 16 * 3, 1, 0, 1), [1, 16, 16, 3]);
  const y = transform(model, x);
  assert.equal(y.shape, [1, 16, 16, 3]);
  assert.ok(y.dataSync().every((v) => v >= 0 && v <= 1));
  tf.dispose([x, y, ...Object.values(model.params)]);
});

test('errors name the variable and file: size, shape, missing, filename, manifest', async () => {
  const cases: Array<[string, Parameters<typeof writeCheckpoint>[1], string, RegExp]> = [
    ['short', (_, files) => files.set('Variable_7', files.get('Variable_7')!.subarray(0, 100)), 'E_WEIGHTS_FORMAT', /short[/\\]Variable_7 \(variable 'Variable_7', d2\.norm\.beta\) is 100 bytes, expected 4 x 128 = 512/],
    ['shape', (m) => { m.Variable_39!.shape = [3, 3, 128, 64]; }, 'E_WEIGHTS_MISMATCH', /variable 'Variable_39' \(u1\.kernel\) has shape \[3,3,128,64\], expected \[3,3,64,128\]/],
    ['missing', (m) => { delete m.Variable_47; }, 'E_WEIGHTS_FORMAT', /variable 'Variable_47' \(out\.norm\.gamma\) is missing/],
    ['escape', (m) => { m.Variable_3!.filename = '../good/Variable_3'; }, 'E_WEIGHTS_FORMAT', /variable 'Variable_3' \(d1\.kernel\) has an invalid filename/],
    ['nofile', (m, files) => { files.delete('Variable_12'); }, 'E_IO', /Cannot read .*Variable_12 \(variable 'Variable_12'\)/],
  ];
  for (const [name, edit, code, pattern] of cases) {
    const dir = await writeCheckpoint(join(root, name), edit);
    const before = tf.memory().numTensors;
    await importMl5Checkpoint(dir).then(() => assert.unreachable(name), (e: Coded) => {
      assert.is(e.code, code, name);
      assert.match(e.message, pattern);
    });
    assert.is(tf.memory().numTensors, before, `${name}: tensors read before the error are disposed`);
  }
  const bad = join(root, 'badjson');
  await mkdir(bad);
  await writeFile(join(bad, 'manifest.json'), '{"Variable": ');
  await importMl5Checkpoint(bad).then(() => assert.unreachable(), (e: Coded) => {
    assert.is(e.code, 'E_WEIGHTS_FORMAT');
    assert.match(e.message, /Cannot read the ml5 manifest .*manifest\.json/);
  });
});

// ---- The real pretrained 'wave' checkpoint (skipped when ../shared/data is absent) ----

const WAVE = fileURLToPath(new URL('../../../shared/data/ml5-style/wave', import.meta.url));
const haveWave = existsSync(join(WAVE, 'manifest.json'));
if (!haveWave) console.log(`ml5-checkpoint.test: skipping the real-checkpoint tests: ${WAVE} is absent`);

async function rawVariable(index: number): Promise<Float32Array> {
  const bytes = await readFile(join(WAVE, variableName(index)));
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

if (haveWave) {
  test('wave: c1 (9x9 zero SAME, IN eps 1e-3, ReLU on 255 x) and d1 (stride-2 SAME: pad 0 top/left, 1 bottom/right) match plain loops', async () => {
    const model = await importMl5Checkpoint(WAVE);
    const arch = model.arch as StyleArch;
    const pixels = lcgValues(16 * 16 * 3, 5, 0, 1);
    const x = tf.tensor4d(pixels, [1, 16, 16, 3]);
    const c1 = styleNetwork(arch, model.params, x, { until: 'c1' });
    const d1 = styleNetwork(arch, model.params, x, { until: 'd1' });
    const [k0, shift1, scale1, k3, shift4, scale5] = await Promise.all([0, 1, 2, 3, 4, 5].map(rawVariable));
    // 9x9 stride 1 SAME pads (9 - 1) / 2 = 4 on every side.
    const conv1 = conv2dRef({ h: 16, w: 16, c: 3, data: pixels.map((v) => 255 * v) }, k0!, [9, 9, 32], 1, [4, 4], [16, 16], 'zero');
    const wantC1 = instanceNormRef(conv1, scale1!, shift1!, 1e-3, true);
    const gotC1 = c1.dataSync();
    assert.ok(maxRelativeError(gotC1, wantC1.data) < 1e-4, `c1 error ${maxRelativeError(gotC1, wantC1.data)}`);
    // From the network's own c1, so d1's check isolates the stride-2 conv: 16 -> 8, pad total 1, all at the bottom/right.
    const conv2 = conv2dRef({ h: 16, w: 16, c: 32, data: gotC1 }, k3!, [3, 3, 64], 2, [0, 0], [8, 8], 'zero');
    const wantD1 = instanceNormRef(conv2, scale5!, shift4!, 1e-3, true);
    assert.ok(maxRelativeError(d1.dataSync(), wantD1.data) < 1e-4, `d1 error ${maxRelativeError(d1.dataSync(), wantD1.data)}`);
    // Symmetric padding (1 top/left) would be visibly different.
    const wrong = instanceNormRef(conv2dRef({ h: 16, w: 16, c: 32, data: gotC1 }, k3!, [3, 3, 64], 2, [1, 1], [8, 8], 'zero'), scale5!, shift4!, 1e-3, true);
    assert.ok(maxRelativeError(d1.dataSync(), wrong.data) > 1e-2);
    tf.dispose([x, c1, d1, ...Object.values(model.params)]);
  });

  test('wave: a 64x64 image: output IN statistics, the 150 tanh + 127.5 mapping, a non-flat result', async () => {
    const model: TransformModel = await loadTransformModel(WAVE);
    const arch = model.arch as StyleArch;
    // A smooth synthetic image: horizontal ramp, vertical ramp, their product.
    const pixels = new Float32Array(64 * 64 * 3);
    for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) pixels.set([x / 63, y / 63, (x * y) / 3969], (y * 64 + x) * 3);
    const image = tf.tensor4d(pixels, [1, 64, 64, 3]);
    // Both lean (inference kernels), so o and y differ only by the output mapping under test.
    const o = styleNetwork(arch, model.params, image, { until: 'out', lean: true }).dataSync();
    const out = transform(model, image, { lean: true });
    const y = out.dataSync();
    const [shift, scale] = await Promise.all([46, 47].map(rawVariable));
    // The output IN makes each channel of o have mean = shift and std = |scale| sqrt(var / (var + 1e-3)) ~ |scale|.
    for (let c = 0; c < 3; c++) {
      let mean = 0;
      for (let i = c; i < o.length; i += 3) mean += o[i]!;
      mean /= 4096;
      let variance = 0;
      for (let i = c; i < o.length; i += 3) variance += (o[i]! - mean) ** 2;
      const std = Math.sqrt(variance / 4096);
      assert.ok(Math.abs(mean - shift![c]!) < 1e-4, `channel ${c} mean ${mean} vs shift ${shift![c]}`);
      assert.ok(Math.abs(std / Math.abs(scale![c]!) - 1) < 1e-3, `channel ${c} std ${std} vs scale ${scale![c]}`);
    }
    // y = clip(150 tanh(o) + 127.5, 0, 255) / 255, elementwise.
    let worst = 0;
    o.forEach((v, i) => { worst = Math.max(worst, Math.abs(y[i]! - Math.min(255, Math.max(0, 150 * Math.tanh(v) + 127.5)) / 255)); });
    assert.ok(worst < 1e-5, `mapping error ${worst}`);
    // |scale| >= 0.4 in wave, so tanh spreads each channel widely: std of y well above 0.1.
    for (let c = 0; c < 3; c++) {
      const ch = Array.from(y).filter((_, i) => i % 3 === c);
      const m = ch.reduce((a, b) => a + b, 0) / ch.length;
      assert.ok(Math.sqrt(ch.reduce((a, b) => a + (b - m) ** 2, 0) / ch.length) > 0.1, `channel ${c} is flat`);
    }
    assert.equal(out.shape, [1, 64, 64, 3]);
    tf.dispose([image, out, ...Object.values(model.params)]);
  });
}

test.run();
