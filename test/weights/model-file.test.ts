import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveSrArch, resolveStyleArch } from '../../src/networks/arch.js';
import { initParams } from '../../src/networks/init.js';
import type { TransformArch, TransformModel } from '../../src/types.js';
import { loadTransformModel } from '../../src/weights/load-transform-model.js';
import { loadModel, parseModel, saveModel, serializeModel } from '../../src/weights/model-file.node.js';
import { useBackend } from '../helpers/backends.js';

type Coded = Error & { code?: string };
let dir = '';
const styleArch = resolveStyleArch({ width: 0.25, residualBlocks: 3 });
const model = (arch: TransformArch = styleArch): TransformModel => ({
  arch,
  params: initParams(arch, 1),
  provenance: { trained_with: 'perceptual 0.1.0', loss_network: 'vgg16', source: 'test' },
});
const dispose = (m: TransformModel): void => tf.dispose(Object.values(m.params));

/** Rebuilds a safetensors file after editing its JSON header (keeps the data bytes). */
function rewriteHeader(bytes: Uint8Array, edit: (header: Record<string, any>) => void): Uint8Array {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
  edit(header);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + bytes.length - 8 - length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(bytes.subarray(8 + length), 8 + json.length);
  return out;
}

const fails = (bytes: Uint8Array, code: string, pattern: RegExp): void =>
  assert.throws(() => parseModel(bytes, 'model.safetensors'), (e: Coded) => e.code === code && pattern.test(e.message));

test.before(async () => {
  await useBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'perceptual-model-file-'));
});
test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('F32 roundtrip is exact: arch, provenance, every tensor', async () => {
  for (const arch of [styleArch, resolveSrArch({ scale: 2, filters: 4, residualBlocks: 1 }), resolveStyleArch({ variant: 'ml5', width: 0.25, residualBlocks: 1 })]) {
    const m = model(arch);
    const path = join(dir, `${arch.task}.safetensors`);
    await saveModel(path, m);
    const back = await loadModel(path);
    assert.equal(back.arch, m.arch);
    assert.equal(back.provenance, m.provenance);
    assert.equal(Object.keys(back.params), Object.keys(m.params));
    for (const [name, t] of Object.entries(m.params)) {
      assert.equal(back.params[name]!.shape, t.shape);
      assert.equal(Array.from(back.params[name]!.dataSync()), Array.from(t.dataSync()), name);
    }
    dispose(m);
    dispose(back);
  }
});

test('F16 halves the size and keeps every value within half precision (relative 2^-11)', () => {
  const m = model();
  const f32 = serializeModel(m);
  const f16 = serializeModel(m, { dtype: 'F16' });
  assert.ok(f16.byteLength < 0.51 * f32.byteLength + 4096);
  const back = parseModel(f16, 'f16.safetensors');
  for (const [name, t] of Object.entries(m.params)) {
    const want = t.dataSync();
    const got = back.params[name]!.dataSync();
    // Round-to-nearest: |error| <= 2^-11 |x| for normal halves, plus 2^-25 absolute for subnormals.
    want.forEach((v, i) => assert.ok(Math.abs(got[i]! - v) <= 2 ** -11 * Math.abs(v) + 2 ** -25, `${name}[${i}] ${v} -> ${got[i]}`));
  }
  dispose(m);
  dispose(back);
});

test('truncated or non-safetensors bytes fail with E_WEIGHTS_FORMAT', () => {
  const m = model();
  const bytes = serializeModel(m);
  fails(bytes.subarray(0, bytes.length - 10), 'E_WEIGHTS_FORMAT', /^model\.safetensors: not a valid safetensors file: .*truncated/);
  fails(bytes.subarray(0, 5), 'E_WEIGHTS_FORMAT', /shorter than the 8-byte header/);
  dispose(m);
});

test('tensor mismatches name the first offending tensor (E_WEIGHTS_MISMATCH)', () => {
  const m = model();
  const bytes = serializeModel(m);
  fails(rewriteHeader(bytes, (h) => { h['c1.kernal'] = h['c1.kernel']; delete h['c1.kernel']; }), 'E_WEIGHTS_MISMATCH', /^model\.safetensors: tensor 'c1\.kernel' is missing/);
  fails(rewriteHeader(bytes, (h) => { h['extra.bias'] = { ...h['out.bias'] }; }), 'E_WEIGHTS_MISMATCH', /tensor 'extra\.bias' is unexpected for this arch/);
  // Same byte count, wrong shape: [3,3,32,32] as [3,3,8,128] (width 0.25 has 32 channels at res).
  fails(rewriteHeader(bytes, (h) => { h['res2.conv1.kernel'].shape = [3, 3, 8, 128]; }), 'E_WEIGHTS_MISMATCH', /^model\.safetensors: tensor 'res2\.conv1\.kernel' has shape \[3,3,8,128\], expected \[3,3,32,32\]/);
  // BF16 has the F16 width, so the container is valid but the dtype is not allowed in model files.
  const f16 = serializeModel(m, { dtype: 'F16' });
  fails(rewriteHeader(f16, (h) => { h['out.bias'].dtype = 'BF16'; }), 'E_WEIGHTS_MISMATCH', /tensor 'out\.bias' has dtype BF16, expected F32 or F16/);
  fails(rewriteHeader(f16, (h) => { h['out.bias'].dtype = 'I8'; }), 'E_WEIGHTS_FORMAT', /tensor 'out\.bias' has dtype "I8"/);
  dispose(m);
});

test('bad metadata fails with E_MODEL_FORMAT naming the key', () => {
  const m = model();
  const bytes = serializeModel(m);
  const meta = (edit: (md: Record<string, string>) => void): Uint8Array => rewriteHeader(bytes, (h) => edit(h.__metadata__));
  fails(meta((md) => { md.format = 'other'; }), 'E_MODEL_FORMAT', /metadata 'format' is "other", expected "perceptual-model"/);
  fails(rewriteHeader(bytes, (h) => { delete h.__metadata__; }), 'E_MODEL_FORMAT', /metadata 'format' is undefined/);
  fails(meta((md) => { md.version = '99'; }), 'E_MODEL_FORMAT', /metadata 'version' is "99"; this version of perceptual reads "1"/);
  fails(meta((md) => { md.task = 'gan'; }), 'E_MODEL_FORMAT', /metadata 'task' is "gan"/);
  fails(meta((md) => { md.task = 'sr'; }), 'E_MODEL_FORMAT', /'task' is "sr" but 'arch' describes a "style" network/);
  fails(meta((md) => { md.arch = '{bad'; }), 'E_MODEL_FORMAT', /metadata 'arch' is not valid JSON/);
  fails(meta((md) => { delete md.arch; }), 'E_MODEL_FORMAT', /metadata 'arch' is missing/);
  fails(meta((md) => { md.arch = '{"task":"style","upsample":"pixelshuffle"}'; }), 'E_MODEL_FORMAT', /arch\.upsample must be one of resize, transpose/);
  dispose(m);
});

test('serializeModel refuses incomplete or misshapen params', () => {
  const m = model();
  const { ['out.bias']: bias, ...rest } = m.params;
  assert.throws(() => serializeModel({ ...m, params: rest }), /parameter 'out\.bias' is missing/);
  const wrong = tf.zeros([4]);
  assert.throws(() => serializeModel({ ...m, params: { ...m.params, 'out.bias': wrong } }), /parameter 'out\.bias' has shape \[4\], expected \[3\]/);
  assert.throws(() => serializeModel(m, { dtype: 'F64' as 'F32' }), (e: Coded) => e instanceof RangeError && e.code === 'E_OPTIONS');
  tf.dispose([bias!, wrong]);
  dispose(m);
});

test('loadTransformModel: a model file loads; a directory without manifest.json and a missing path fail with E_IO', async () => {
  const m = model();
  const path = join(dir, 'any.safetensors');
  await saveModel(path, m, { dtype: 'F16' });
  assert.ok((await readFile(path)).byteLength > 0);
  const back = await loadTransformModel(path);
  assert.equal(back.arch, m.arch);
  const empty = join(dir, 'empty');
  await mkdir(empty);
  await writeFile(join(empty, 'x.bin'), new Uint8Array(4));
  await loadTransformModel(empty).then(() => assert.unreachable(), (e: Coded) => {
    assert.is(e.code, 'E_IO');
    assert.match(e.message, /empty is a directory without manifest\.json.*Pass a \.safetensors model file or an ml5 checkpoint directory/);
  });
  await loadTransformModel(join(dir, 'nope.safetensors')).then(() => assert.unreachable(), (e: Coded) => {
    assert.is(e.code, 'E_IO');
    assert.match(e.message, /Cannot open the model .*nope\.safetensors/);
  });
  dispose(m);
  dispose(back);
});

test('model-file.ts imports no node:fs at module level (browser-safe parse/serialize)', async () => {
  const source = await readFile(new URL('../../src/weights/model-file.ts', import.meta.url), 'utf8');
  assert.not.match(source, /^import .*['"](node:)?fs/m);
  assert.not.match(source, /^import .*atomic-write/m);
});

test.run();
