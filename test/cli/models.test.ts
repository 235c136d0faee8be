/**
 * The registry of bundled models (models/index.json): names resolve to the
 * bundled files, an unknown name lists the known ones, an existing path wins
 * over a name, stylize/upscale fall back to the registry's defaults, every
 * listed file loads with the task the registry states, and `perceptual
 * models` prints it. Expected values come from reading index.json here, not
 * from the resolver.
 */
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { memoryContext } from '../../src/cli/context.js';
import { parseModelSpecs, serveCommand } from '../../src/cli/serve.js';
import { readImage, writeImage } from '../../src/data/image-io.js';
import { transform } from '../../src/networks/transform.js';
import { resolveStyleArch } from '../../src/networks/arch.js';
import { initParams } from '../../src/networks/init.js';
import { loadTransformModel } from '../../src/weights/load-transform-model.js';
import { saveModel } from '../../src/weights/model-file.node.js';
import { bundledModels, resolveModel } from '../../src/weights/model-registry.js';
import { useBackend } from '../helpers/backends.js';
import { cli, tempDir } from './helpers.js';

interface RawRegistry {
  defaults: Record<string, string>;
  models: { name: string; task: 'style' | 'sr'; file: string; description: string }[];
}

const MODELS_DIR = resolve(fileURLToPath(new URL('../../models/', import.meta.url)));
let registry: RawRegistry;
let tmp: Awaited<ReturnType<typeof tempDir>>;

const bundledPath = (name: string): string => join(MODELS_DIR, registry.models.find((m) => m.name === name)!.file);

test.before(async () => {
  await useBackend('cpu');
  registry = JSON.parse(await readFile(join(MODELS_DIR, 'index.json'), 'utf8')) as RawRegistry;
  tmp = await tempDir('models');
  const input = tf.tidy(() => tf.reshape(tf.div(tf.range(0, 9 * 12 * 3), 9 * 12 * 3), [1, 9, 12, 3])) as tf.Tensor4D;
  await writeImage(tmp.path('in.png'), input);
  input.dispose();
});

test.after(async () => {
  await tmp.remove();
});

test('every model file in models/ is registered once, and each default names a registered model of its task', async () => {
  const files = (await readdir(MODELS_DIR)).filter((f) => f.endsWith('.safetensors')).sort();
  assert.equal(registry.models.map((m) => m.file).sort(), files);
  assert.is(new Set(registry.models.map((m) => m.name)).size, registry.models.length, 'names are unique');
  for (const task of ['style', 'sr'] as const) {
    assert.is(registry.models.find((m) => m.name === registry.defaults[task])?.task, task, `default ${task}`);
  }
});

test('every registry file exists and loads with the task the registry states', async () => {
  for (const entry of registry.models) {
    const path = join(MODELS_DIR, entry.file);
    assert.ok((await stat(path)).size > 0, `${path} is empty`);
    const model = await loadTransformModel(path);
    try {
      assert.is(model.arch.task, entry.task, `${entry.name}: the file is a ${model.arch.task} model, the registry says ${entry.task}`);
    } finally {
      tf.dispose(Object.values(model.params));
    }
  }
  for (const [task, name] of Object.entries(registry.defaults)) {
    assert.is(registry.models.find((m) => m.name === name)?.task, task, `default ${task} model '${name}'`);
  }
});

test('names resolve to the exact bundled files; no name means the default of the task', async () => {
  for (const entry of registry.models) assert.is(await resolveModel(entry.name), join(MODELS_DIR, entry.file));
  assert.is(await resolveModel(undefined, { task: 'style' }), bundledPath(registry.defaults.style!));
  assert.is(await resolveModel(undefined, { task: 'sr' }), bundledPath(registry.defaults.sr!));
  const listed = await bundledModels();
  assert.equal(listed.map((m) => [m.name, m.file, m.default]), registry.models.map((m) => [m.name, join(MODELS_DIR, m.file), registry.defaults[m.task] === m.name]));
});

test('an unknown name is a usage error that lists every known name', async () => {
  try {
    await resolveModel('wav');
    assert.unreachable('resolveModel accepted an unknown name');
  } catch (error) {
    assert.is((error as { code?: string }).code, 'E_OPTIONS');
    assert.match((error as Error).message, /No file or folder 'wav' exists, and no bundled model has that name/);
    for (const entry of registry.models) assert.ok((error as Error).message.includes(entry.name), `message lacks ${entry.name}`);
  }
  const run = await cli(['stylize', tmp.path('in.png'), '-o', tmp.path('x.png'), '--model', 'wav', '--backend', 'cpu']);
  assert.is(run.code, 2);
  for (const entry of registry.models) assert.ok(run.stderr.includes(entry.name), run.stderr);
  // A value that looks like a path still reaches the loader, which names the missing file (exit 3).
  const missing = await cli(['stylize', tmp.path('in.png'), '-o', tmp.path('x.png'), '--model', tmp.path('none.safetensors'), '--backend', 'cpu']);
  assert.is(missing.code, 3);
  assert.match(missing.stderr, /E_IO: Cannot open the model .*none\.safetensors/);
});

test('an existing path wins over a bundled name', async () => {
  const arch = resolveStyleArch({ width: 0.25, residualBlocks: 1 });
  const params = initParams(arch, 3);
  await mkdir(tmp.path('cwd'));
  await saveModel(tmp.path('cwd/wave'), { arch, params, provenance: { source: 'test' } });
  tf.dispose(Object.values(params));
  const before = process.cwd();
  process.chdir(tmp.path('cwd'));
  try {
    assert.is(await resolveModel('wave'), 'wave');
    const run = await cli(['stylize', tmp.path('in.png'), '-o', tmp.path('local.png'), '--model', 'wave', '--backend', 'cpu']);
    assert.is(run.code, 0, run.stderr);
    assert.match(run.stderr, /^model: wave \(style, test\)$/m);
  } finally {
    process.chdir(before);
  }
});

/** Max difference in 8-bit levels between a written file and the model's output on `input`. */
async function levelsFromModel(written: string, modelPath: string, inputPath: string): Promise<{ shape: number[]; diff: number }> {
  const model = await loadTransformModel(modelPath);
  const input = await readImage(inputPath);
  const output = await readImage(written);
  const expected = tf.tidy(() => tf.round(tf.mul(tf.clipByValue(transform(model, input), 0, 1), 255)));
  const actual = tf.tidy(() => tf.round(tf.mul(output, 255)));
  const diff = expected.shape.join() === actual.shape.join() ? tf.tidy(() => tf.max(tf.abs(tf.sub(actual, expected))).dataSync()[0]!) : Infinity;
  const shape = output.shape;
  tf.dispose([input, output, expected, actual, ...Object.values(model.params)]);
  return { shape, diff };
}

test('stylize and upscale without --model run the registry defaults', async () => {
  const style = await cli(['stylize', tmp.path('in.png'), '-o', tmp.path('default-style.png'), '--backend', 'cpu']);
  assert.is(style.code, 0, style.stderr);
  const stylePath = bundledPath(registry.defaults.style!);
  assert.ok(style.stderr.includes(`model: ${stylePath} (style`), style.stderr);
  const styled = await levelsFromModel(tmp.path('default-style.png'), stylePath, tmp.path('in.png'));
  assert.equal(styled.shape, [1, 9, 12, 3]);
  assert.ok(styled.diff <= 1, `stylize default: ${styled.diff} levels from the default model's output`);

  const sr = await cli(['upscale', tmp.path('in.png'), '-o', tmp.path('default-sr.png'), '--backend', 'cpu']);
  assert.is(sr.code, 0, sr.stderr);
  const srPath = bundledPath(registry.defaults.sr!);
  assert.ok(sr.stderr.includes(`model: ${srPath} (sr`), sr.stderr);
  const upscaled = await levelsFromModel(tmp.path('default-sr.png'), srPath, tmp.path('in.png'));
  assert.equal(upscaled.shape, [1, 36, 48, 3]); // the default SR model is x4
  assert.ok(upscaled.diff <= 1, `upscale default: ${upscaled.diff} levels from the default model's output`);
});

test('perceptual models --json lists name, task, default, bytes, description and file', async () => {
  const run = await cli(['models', '--json']);
  assert.is(run.code, 0, run.stderr);
  const listed = JSON.parse(run.stdout) as Record<string, unknown>[];
  const expected = await Promise.all(
    registry.models.map(async (m) => ({
      name: m.name,
      task: m.task,
      default: registry.defaults[m.task] === m.name,
      bytes: (await stat(join(MODELS_DIR, m.file))).size,
      description: m.description,
      file: join(MODELS_DIR, m.file),
    })),
  );
  assert.equal(listed, expected);
  const text = await cli(['models']);
  assert.is(text.code, 0, text.stderr);
  assert.match(text.stdout, /^NAME +TASK +BYTES +DEFAULT +DESCRIPTION$/m);
  for (const m of expected) {
    assert.match(text.stdout, new RegExp(`^${m.name} +${m.task} +${m.bytes} +${m.default ? 'yes' : ''}`, 'm'));
    assert.ok(text.stdout.includes(`  ${m.file}\n`), text.stdout);
  }
});

test('a broken registry is named with its problem', async () => {
  const dir = tmp.path('zoo');
  await mkdir(dir);
  const write = (value: unknown) => writeFile(join(dir, 'index.json'), JSON.stringify(value));
  const rejects = async (pattern: RegExp) => {
    try {
      await bundledModels({ dir });
      assert.unreachable('accepted a broken registry');
    } catch (error) {
      assert.is((error as { code?: string }).code, 'E_MODEL_FORMAT');
      assert.match((error as Error).message, pattern);
    }
  };
  const entry = { name: 'a', task: 'style', file: 'a.safetensors', description: 'x' };
  await write({ models: [entry, { ...entry, file: 'b.safetensors' }] });
  await rejects(/entry 1 \('a'\): the name 'a' is used twice/);
  await write({ models: [{ ...entry, task: 'paint' }] });
  await rejects(/"task" must be "style" or "sr", got "paint"/);
  await write({ models: [{ ...entry, file: '../a.safetensors' }] });
  await rejects(/"file" must be a \.safetensors file inside the models folder/);
  await write({ defaults: { sr: 'a' }, models: [entry] });
  await rejects(/names "a" as the default sr model, but no sr model has that name/);
  // A good one-entry registry elsewhere resolves its own name to its own folder.
  await copyFile(bundledPath(registry.defaults.style!), join(dir, 'a.safetensors'));
  await write({ defaults: { style: 'a' }, models: [entry] });
  assert.is(await resolveModel('a', { dir }), join(dir, 'a.safetensors'));
  assert.is(await resolveModel(undefined, { dir, task: 'style' }), join(dir, 'a.safetensors'));
});

test('serve: --model NAME alone serves that bundled model under its name', async () => {
  assert.equal(parseModelSpecs(['wave', 'x4=sr-x4']), [
    { name: 'wave', file: 'wave' },
    { name: 'x4', file: 'sr-x4' },
  ]);
  assert.throws(() => parseModelSpecs(['models/x.safetensors']), /--model must be NAME=FILE .* or the NAME of a bundled model/);
  const context = memoryContext();
  let models: unknown;
  const command = serveCommand(context, { waitForStop: async (url) => void (models = await (await fetch(`${url}/v1/models`)).json()) });
  command.exitOverride();
  await command.parseAsync(['--model', 'wave', '--model', 'x4=sr-x4', '--port', '0', '--in-process', '--backend', 'cpu'], { from: 'user' });
  assert.is(context.exitCode, 0, context.err());
  assert.equal((models as { name: string; task: string; scale: number }[]).map((m) => [m.name, m.task, m.scale]), [['wave', 'style', 1], ['x4', 'sr', 4]]);
});

test.run();
