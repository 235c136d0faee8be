/**
 * @file Per-kernel profile of one warm forward pass of the style network
 * (width 1, random weights) on tfjs-wasm: time per kernel name and per kernel
 * and input shape, from `tf.profile` (wall time per kernel on wasm). What the
 * "before / after" profile rows in bench/RESULTS.md were read from.
 * `--model NAME|FILE` profiles a trained style model instead (a bundled
 * name such as the real-time `wave`, or a file).
 *
 * Run: node --import tsx bench/profile.bench.ts [--upsample resize|transpose] [--size 256] [--top 25] [--model NAME|FILE]
 */
import * as tf from '@tensorflow/tfjs-core';
import { initParams, loadTransformModel, resolveModel, resolveStyleArch, selectBackend, transform } from '../src/index.js';
import { argument } from './bench-args.js';

async function main(): Promise<void> {
  const upsample = argument('upsample', 'resize') as 'resize' | 'transpose';
  const size = Number(argument('size', '256'));
  const top = Number(argument('top', '25'));
  await selectBackend({ backend: 'wasm', purpose: 'infer' });
  const named = argument('model', '');
  const arch = resolveStyleArch({ upsample });
  const model = named ? await loadTransformModel(await resolveModel(named, { task: 'style' })) : { arch, params: initParams(arch, 0), provenance: {} };
  const image = tf.randomUniform([1, size, size, 3]) as tf.Tensor4D;
  const forward = async (): Promise<void> => {
    const out = transform(model, image, { lean: true });
    await out.data();
    out.dispose();
  };
  for (let i = 0; i < 2; i++) {
    const start = performance.now();
    await forward();
    console.log(`forward ${i + 1}: ${(performance.now() - start).toFixed(0)} ms`);
  }
  const info = await tf.profile(forward);
  const byName = new Map<string, number>();
  const byShape = new Map<string, number>();
  for (const k of info.kernels) {
    const ms = k.kernelTimeMs as number;
    byName.set(k.name, (byName.get(k.name) ?? 0) + ms);
    const key = `${k.name} ${JSON.stringify(k.inputShapes[0])}${k.inputShapes[1] ? `x${JSON.stringify(k.inputShapes[1])}` : ''}`;
    byShape.set(key, (byShape.get(key) ?? 0) + ms);
  }
  const total = [...byName.values()].reduce((a, b) => a + b, 0);
  console.log(`profiled forward (${named || upsample}, ${size}x${size}): kernels sum to ${total.toFixed(0)} ms`);
  for (const [name, ms] of [...byName].sort((a, b) => b[1] - a[1])) console.log(`${ms.toFixed(1).padStart(8)}  ${name}`);
  console.log('by kernel and input shape:');
  for (const [key, ms] of [...byShape].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${ms.toFixed(1).padStart(8)}  ${key}`);
  image.dispose();
}

await main();
