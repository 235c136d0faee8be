/**
 * The `webgpu` backend against tfjs-backend-cpu on the same inputs and
 * weights: the MirrorPad gradient, the style network and an SR network
 * (forward, and the gradient of the perceptual loss with a small random VGG-16
 * with respect to every parameter, as training computes it), a training step
 * (and the model file it saves) and a stylisation read back as 8-bit pixels.
 * Every tensor must agree to 1e-4 relative (max |webgpu - cpu| / max |cpu|):
 * both compute in float32 and differ only in summation order. On a machine
 * without a GPU this runs on Chromium's SwiftShader (a software Vulkan
 * driver), so the shapes are tiny.
 *
 * Also, without any adapter: every kernel those computations use on CPU is
 * registered for webgpu by tfjs-backend-webgpu (none of perceptual's own
 * kernels in src/runtime/kernels is needed there: they are wasm/cpu speed-ups
 * of stock kernels, and the networks fall back to tfjs ops elsewhere).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { imageToTensor, tensorToRgb } from '../../src/data/image-tensor.js';
import { type PerceptualLossNumbers, resolvePerceptualLossOptions, styleTargets } from '../../src/losses/perceptual.js';
import { resolveSrArch, resolveStyleArch } from '../../src/networks/arch.js';
import { initParams } from '../../src/networks/init.js';
import { transform } from '../../src/networks/transform.js';
import { createVgg, randomVggWeights } from '../../src/networks/vgg.js';
import { Random } from '../../src/random.js';
import { computeGradients, trainStep } from '../../src/train/train-step.js';
import type { LossNetwork, TransformArch } from '../../src/types.js';
import { loadModel, saveModel } from '../../src/weights/model-file.node.js';
import { planBackend, type Runtime } from '../../src/runtime/index.js';
import { setUpTrainStep, STEP_ARCH } from '../browser/fixtures/train-step.js';
import { useBackend } from '../helpers/backends.js';
import { readAll, relativeError, releaseWebGpu, scaleOf, useWebGpu, webGpuSkipReason } from '../helpers/webgpu.js';

const TOLERANCE = 1e-4;

function random(shape: [number, number, number, number], seed: number): tf.Tensor4D {
  const rng = new Random(seed);
  return tf.tensor4d(Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => rng.next()), shape);
}

/** A VGG-16 with random weights up to relu2_2: the paper's content layer, two style layers. */
function smallVgg(): LossNetwork {
  return createVgg(randomVggWeights('vgg16', 3, { upTo: 'relu2_2' }), { upTo: 'relu2_2' });
}

const STYLE = resolveStyleArch({ width: 0.25, residualBlocks: 1 });
const SR = resolveSrArch({ scale: 2, filters: 4, residualBlocks: 1, upsample: 'shuffle' });

/** Variables holding `arch`'s seeded initial parameters, named apart per backend (variable names are global). */
function variablesOf(arch: TransformArch, seed: number): Record<string, tf.Variable> {
  const initial = initParams(arch, seed);
  const backend = tf.getBackend();
  const variables = Object.fromEntries(Object.entries(initial).map(([name, value]) => [name, tf.variable(value, true, `parity-${backend}-${arch.task}/${name}`)]));
  tf.dispose(Object.values(initial));
  return variables;
}

/**
 * The network's forward output, and what training computes from it
 * (src/train/train-step.ts computeGradients): the loss terms and d loss / d
 * parameter for every parameter, with a small random VGG-16 loss network.
 */
async function networkCase(arch: TransformArch, batch: number, inputSize: number): Promise<Record<string, Float32Array>> {
  const vgg = smallVgg();
  const variables = variablesOf(arch, 7);
  const input = random([batch, inputSize, inputSize, 3], 11);
  const scale = arch.task === 'sr' ? arch.scale : 1;
  const target = random([batch, inputSize * scale, inputSize * scale, 3], 12);
  const loss = resolvePerceptualLossOptions(
    arch.task === 'style'
      ? { contentLayers: ['relu2_2'], styleLayers: ['relu1_2', 'relu2_2'], pixelWeight: 0.5, tvWeight: 1e-2 }
      : { contentLayers: ['relu2_2'], styleLayers: [], styleWeight: 0, pixelWeight: 1, tvWeight: 1e-3 },
    vgg.taps,
  );
  const styleImage = random([1, 8, 8, 3], 13);
  const styleGrams = styleTargets(vgg, styleImage, loss.styleLayers);
  try {
    const forward = transform({ arch, params: variables, provenance: {} }, input, { lean: true });
    const { numbers, grads } = await computeGradients({ arch, variables, network: vgg, loss, styleGrams }, input, target);
    const byParameter = Object.fromEntries(Object.entries(variables).map(([name, v]) => [`d ${name}`, grads[v.name]!]));
    return { terms: termsArray(numbers), ...(await readAll({ forward, ...byParameter })) };
  } finally {
    tf.dispose([input, target, styleImage, ...Object.values(styleGrams), ...Object.values(variables)]);
    vgg.dispose();
  }
}

function termsArray(numbers: PerceptualLossNumbers): Float32Array {
  return Float32Array.from([numbers.total, ...Object.values(numbers.feature), ...Object.values(numbers.style), numbers.pixel ?? 0, numbers.tv ?? 0]);
}

/** The MirrorPad adjoint (src/runtime/mirror-pad-gradient.ts) in both modes, weighted so every cell differs. */
async function mirrorPadCase(): Promise<Record<string, Float32Array>> {
  const x = random([1, 5, 6, 2], 21);
  const out: Record<string, tf.Tensor> = {};
  for (const mode of ['reflect', 'symmetric'] as const) {
    const paddings: Array<[number, number]> = [[0, 0], [2, 3], [3, 1], [0, 0]];
    const weights = random([1, 10, 10, 2], mode === 'reflect' ? 22 : 23);
    out[mode] = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.mirrorPad(v as tf.Tensor4D, paddings, mode), weights)))(x);
    weights.dispose();
  }
  x.dispose();
  return readAll(out);
}

/**
 * One training step (src/train/train-step.ts trainStep) with plain SGD: the
 * loss terms and the updated parameters. SGD, because its update is linear in
 * the gradient; Adam's first update is lr * sign(gradient) per element, which
 * takes either sign where the gradient is float noise.
 */
async function trainStepCase(): Promise<Record<string, Float32Array>> {
  const content = random([1, 8, 8, 3], 31);
  const styleImage = random([1, 8, 8, 3], 32);
  const { state, variables, dispose } = setUpTrainStep(styleImage);
  try {
    const numbers = await trainStep(state, content, content, 0);
    const updated = await readAll(Object.fromEntries(Object.entries(variables).map(([name, v]) => [`step ${name}`, v.clone()])));
    // The trained model written as training's end does (saveModel), and read back.
    const file = join(await mkdtemp(join(tmpdir(), 'perceptual-webgpu-')), 'model.safetensors');
    await saveModel(file, { arch: STEP_ARCH, params: variables, provenance: {} });
    const saved = await loadModel(file);
    await rm(dirname(file), { recursive: true, force: true });
    for (const [name, values] of Object.entries(await readAll(saved.params))) {
      assert.equal(values, updated[`step ${name}`], `${name} saved as trained`);
    }
    return { terms: termsArray(numbers), ...updated };
  } finally {
    tf.dispose([content, styleImage]);
    dispose();
  }
}

/** A stylisation as users get it: 8-bit RGB in, the network, 8-bit RGB out. */
async function stylizeCase(): Promise<Uint8Array> {
  const rng = new Random(41);
  const rgb = Uint8Array.from({ length: 20 * 12 * 3 }, () => Math.floor(rng.next() * 256));
  const params = initParams(STYLE, 9);
  const input = imageToTensor(rgb, 20, 12, 3);
  const output = transform({ arch: STYLE, params, provenance: {} }, input, { lean: true });
  try {
    return (await tensorToRgb(output)).data;
  } finally {
    tf.dispose([input, output, ...Object.values(params)]);
  }
}

const CASES = { mirrorPad: mirrorPadCase, style: () => networkCase(STYLE, 2, 16), sr: () => networkCase(SR, 1, 4), trainStep: trainStepCase } as const;

// Nothing runs at import: uvu imports every test file before running any, so the backend
// switches happen in `before`, when this file's turn comes.
const skip = webGpuSkipReason();
const webgpu = {
  reference: {} as Record<string, Record<string, Float32Array>>,
  kernels: new Set<string>(),
  stylized: new Uint8Array(0) as Uint8Array,
  runtime: undefined as Runtime | undefined,
};

test.before(async () => {
  // Reference values first, on cpu, recording the kernels they run.
  await useBackend('cpu');
  for (const [name, run] of Object.entries(CASES)) {
    const profile = await tf.profile(async () => void (webgpu.reference[name] = await run()));
    for (const kernel of profile.kernelNames) webgpu.kernels.add(kernel);
  }
  webgpu.stylized = await stylizeCase();
  if (skip !== undefined) return;
  const found = await useWebGpu();
  if ('skip' in found) throw new Error(found.skip);
  webgpu.runtime = found.runtime;
  console.log(`webgpu parity on ${found.runtime.details.adapter} (software: ${found.runtime.details.software})`);
});

test('every kernel the networks, losses and their gradients use on cpu is registered for webgpu', async () => {
  await import('@tensorflow/tfjs-backend-webgpu');
  const used = [...webgpu.kernels];
  for (const name of ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'MirrorPad', 'MaxPoolGrad', 'BatchMatMul']) assert.ok(used.includes(name), `${name} in ${used.join(' ')}`);
  const missing = used.filter((name) => tf.getKernel(name, 'webgpu') === undefined);
  assert.equal(missing, [], `kernels with no webgpu implementation: ${missing.join(', ')}`);
});

if (skip !== undefined) {
  console.log(`SKIP test/runtime/webgpu-parity.test.ts (webgpu parts): ${skip}`);
} else {
  // Parameters whose loss gradient is zero by construction (a per-channel shift that a later
  // instance norm removes: each residual block's norm2.beta): both backends give float noise
  // there (and an SGD step from their zero initial value is noise), so only that it is noise
  // on webgpu too is checked.
  const zeroGradient = (): Set<string> => {
    const style = webgpu.reference.style!;
    const largest = Math.max(...Object.values(style).map(scaleOf));
    return new Set(Object.keys(style).filter((key) => key.startsWith('d ') && scaleOf(style[key]!) < 1e-6 * largest).map((key) => key.slice(2)));
  };

  for (const [name, run] of Object.entries(CASES)) {
    test(`${name}: webgpu matches cpu to ${TOLERANCE} relative`, async () => {
      assert.is(tf.getBackend(), 'webgpu');
      const before = tf.memory().numTensors;
      const t0 = performance.now();
      const got = await run();
      const seconds = (performance.now() - t0) / 1000;
      assert.is(tf.memory().numTensors, before, 'no tensor leaks');
      const expected = webgpu.reference[name]!;
      assert.equal(Object.keys(got), Object.keys(expected));
      const global = Math.max(...Object.values(expected).map(scaleOf));
      const errors: Array<readonly [string, number]> = [];
      for (const [key, values] of Object.entries(expected)) {
        if (zeroGradient().has(key.replace(/^(d|step) /, ''))) {
          assert.ok(scaleOf(got[key]!) < 1e-5 * global, `${name} ${key}: ${scaleOf(got[key]!)} is not float noise`);
          continue;
        }
        const error = relativeError(got[key]!, values);
        assert.ok(error <= TOLERANCE, `${name} ${key}: relative error ${error.toExponential(2)} > ${TOLERANCE}`);
        assert.ok(values.some((v) => v !== 0), `${name} ${key}: the reference is all zeros`);
        errors.push([key, error]);
      }
      const worst = errors.reduce((a, b) => (b[1] > a[1] ? b : a));
      console.log(`  ${name}: ${errors.length} tensors, worst relative error ${worst[1].toExponential(2)} (${worst[0]}), ${seconds.toFixed(1)} s`);
    });
  }

  test('unforced, selection names the software adapter, refuses it and trains on another backend', async () => {
    const runtime = webgpu.runtime!;
    if (runtime.details.software !== true) return console.log(`  (skipped: ${runtime.details.adapter} is a hardware adapter)`);
    const plan = await planBackend({ purpose: 'train', env: {} });
    assert.is.not(plan.backend, 'webgpu');
    const attempt = plan.rejected.find((r) => r.backend === 'webgpu');
    assert.match(attempt?.reason ?? '', new RegExp(`^only a software (\\(fallback\\) )?adapter: ${String(runtime.details.adapter).replace(/[().]/g, '\\$&')};`));
  });

  test('a stylisation on webgpu gives the 8-bit pixels of cpu (at most one step from float rounding)', async () => {
    const got = await stylizeCase();
    let max = 0;
    let differing = 0;
    for (let i = 0; i < got.length; i++) {
      const d = Math.abs(got[i]! - webgpu.stylized[i]!);
      max = Math.max(max, d);
      if (d > 0) differing += 1;
    }
    assert.ok(max <= 1, `max |webgpu - cpu| = ${max}`);
    assert.ok(differing <= got.length / 100, `${differing} of ${got.length} values differ`);
    assert.ok(Math.max(...webgpu.stylized) - Math.min(...webgpu.stylized) > 32, 'the output has contrast');
  });
}

test.after(releaseWebGpu);

test.run();
