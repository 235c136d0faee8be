/**
 * @file Writes a copy of a style model whose first (`c1`) and last (`out`)
 * convolutions have smaller kernels: each kernel is cut to its centre K x K.
 * The copy is a starting point for fine-tuning a faster network
 * (`perceptual train distill --init COPY --c1-kernel K1 --out-kernel Ko`),
 * not a finished model: the cut drops the kernels' outer taps. `c1` is
 * followed by instance norm, which absorbs the change of scale; `out` is not,
 * so its first steps of fine-tuning repair the colours.
 *
 *   node --import tsx scripts/crop-kernels.ts MODEL --c1-kernel 5 --out-kernel 3 -o FILE
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { loadModel, resolveModel, resolveStyleArch, saveModel, selectBackend } from '../src/index.js';

/** The centre k x k taps of an HWIO kernel. */
function centreCrop(kernel: tf.Tensor, k: number): tf.Tensor {
  const [kh, kw] = kernel.shape as [number, number, number, number];
  if (k > kh || k > kw) throw new RangeError(`a ${kh}x${kw} kernel cannot be cut to ${k}x${k}`);
  return tf.slice(kernel, [(kh - k) / 2, (kw - k) / 2, 0, 0], [k, k, -1, -1]);
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { 'c1-kernel': { type: 'string' }, 'out-kernel': { type: 'string' }, out: { type: 'string', short: 'o' } },
  });
  const [source] = positionals;
  if (source === undefined || values.out === undefined) throw new Error('usage: crop-kernels.ts MODEL --c1-kernel K --out-kernel K -o FILE');
  await selectBackend({ backend: 'cpu', purpose: 'infer' });
  const model = await loadModel(await resolveModel(source));
  if (model.arch.task !== 'style') throw new Error(`${source} is not a style model`);
  const arch = resolveStyleArch({
    ...model.arch,
    c1Kernel: Number(values['c1-kernel'] ?? model.arch.c1Kernel),
    outKernel: Number(values['out-kernel'] ?? model.arch.outKernel),
  });
  const params = { ...model.params };
  params['c1.kernel'] = centreCrop(model.params['c1.kernel']!, arch.c1Kernel);
  params['out.kernel'] = centreCrop(model.params['out.kernel']!, arch.outKernel);
  await saveModel(values.out, { ...model, arch, params }, { dtype: 'F32' });
  console.log(`wrote ${values.out}: ${JSON.stringify(arch)}`);
}

await main();
