/**
 * @file `perceptual optimize` (Gatys et al. by L-BFGS) against the
 * feed-forward style network, as Johnson et al.'s Table 1 does, and the final
 * loss each reaches on the same content and style image.
 *
 * Part `speed`: seconds per loss evaluation (forward + backward +
 * gradient read-back) of style transfer with VGG-16 (random weights: the
 * cost does not depend on their values) at the given sizes, next to
 * the forward time of the paper's style network (random init) at the same
 * size on the same backend; the two alternate round by round after a
 * warm-up round (bench/interleave.ts), `--evaluations` rounds, and the
 * 500-iteration ratio uses the same-round ratios. 100/300/500-iteration totals are EXTRAPOLATED as
 * seconds per evaluation x N, i.e. one evaluation per iteration as torch's
 * L-BFGS without line search (the paper's Table 1 setting); our strong-Wolfe
 * search spends more on the first iteration (see RESULTS-optimize.md).
 *
 * Part `loss`: with the darknettiny loss network and the loss config of
 * models/starter-style.command.sh, the loss of the starter model's output
 * vs. the loss `optimize` reaches from the content image after N iterations.
 *
 * Run: node --import tsx bench/optimize.bench.ts [--part speed,loss] [--sizes 256,512]
 *        [--evaluations 3] [--loss-iterations 100] [--loss-size 256] [--backend wasm]
 */
import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_STYLE_ARCH, disposeTerms, initParams, loadLayersLossNetwork, loadLossNetwork, loadTransformModel, optimizeStyle, perceptualLoss, resolvePerceptualLossOptions, selectBackend, styleTargets, termsToNumbers, transform } from '../src/index.js';
import { loadStyleImage } from '../src/train/run-inputs.js';
import { argument, median } from './bench-args.js';
import { hostReport } from './host.js';
import { inProcess, interleave, sameRoundRatios } from './interleave.js';

const DATA = new URL('../../shared/data/', import.meta.url).pathname;
const CONTENT = `${DATA}images/kodak/kodim01.png`;
const STYLE = `${DATA}images/reiinakano/style-images/wave.jpg`;
const image = async (path: string, size: number) => {
  const b = await loadStyleImage(path, size);
  return tf.tensor4d(b.data, [...b.shape]);
};
// Square crops so that "256" means 256x256 as in Table 1.
const square = (x: tf.Tensor4D, size: number) => tf.tidy(() => tf.image.resizeBilinear(x, [size, size]));

async function speed(sizes: number[], evaluations: number): Promise<void> {
  const loss = resolvePerceptualLossOptions({ contentLayers: ['relu2_2'], styleLayers: ['relu1_2', 'relu2_2', 'relu3_3', 'relu4_3'], styleWeight: 3, tvWeight: 1e-6 });
  const vgg = await loadLossNetwork({ network: 'vgg16', seed: 0, taps: ['relu1_2', 'relu2_2', 'relu3_3', 'relu4_3'] });
  const model = { arch: DEFAULT_STYLE_ARCH, params: initParams(DEFAULT_STYLE_ARCH, 0), provenance: {} };
  console.log(`\n| size | feed-forward (s, median of ${evaluations}) | s per loss evaluation (median; samples) | 100 it = 100 x eval (s) | 300 it | 500 it | 500 it / feed-forward (same-round ratios) |`);
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const size of sizes) {
    const [rawContent, rawStyle] = [await image(CONTENT, size), await image(STYLE, size)];
    const content = square(rawContent, size);
    const style = square(rawStyle, size);
    tf.dispose([rawContent, rawStyle]);
    // One loss evaluation = forward + backward through VGG-16 up to relu4_3 and the read-back of the
    // gradient: what each L-BFGS iteration costs one or more of (torch's L-BFGS: ~1 without line search).
    const grams = styleTargets(vgg, style, loss.styleLayers);
    const feats = tf.tidy(() => vgg.features(content, loss.contentLayers));
    const fg = tf.valueAndGrad((z: tf.Tensor4D) => perceptualLoss(vgg, loss, { generated: z, contentFeatures: feats, styleGrams: grams }).total);
    // The two alternate round by round (bench/interleave.ts), one warm-up round first.
    const timing = await interleave(
      [
        inProcess('feed-forward', async () => {
          const out = transform(model, content, { lean: true });
          await out.data();
          out.dispose();
        }),
        inProcess('evaluation', async () => {
          const { value, grad } = fg(content);
          await grad.data();
          tf.dispose([value, grad]);
        }),
      ],
      { rounds: evaluations, warmupRounds: 1 },
    );
    if (timing.failures.size > 0) throw new Error([...timing.failures].map(([name, why]) => `${name}: ${why}`).join('; '));
    const ff = timing.samples.get('feed-forward')!.map((x) => x.ms / 1000);
    const evals = timing.samples.get('evaluation')!.map((x) => x.ms / 1000);
    tf.dispose([...Object.values(grams), ...Object.values(feats)]);
    const ev = median(evals);
    const ffm = median(ff);
    console.log(`| ${size} | ${ffm.toFixed(3)} | ${ev.toFixed(2)} (${evals.map((v) => v.toFixed(2)).join(', ')}) | ${(100 * ev).toFixed(0)} | ${(300 * ev).toFixed(0)} | ${(500 * ev).toFixed(0)} | ${(500 * median(sameRoundRatios(timing, 'evaluation', 'feed-forward'))).toFixed(0)}x |`);
    tf.dispose([content, style]);
  }
  vgg.dispose();
  tf.dispose(Object.values(model.params));
}

async function finalLoss(size: number, iterations: number): Promise<void> {
  const darknet = `${DATA}darknet/darknettiny`;
  const starter = new URL('../models/starter-style.safetensors', import.meta.url).pathname;
  if (!existsSync(darknet)) return console.log(`loss part skipped: ${darknet} is absent`);
  // The loss config of models/starter-style.command.sh.
  const layerWeights = JSON.parse(readFileSync(new URL('../models/starter-style.layer-weights.json', import.meta.url), 'utf8')) as { style: Record<string, number> };
  const loss = resolvePerceptualLossOptions({ contentLayers: ['leaky_re_lu_2'], contentWeight: 1, styleLayers: ['leaky_re_lu_1', 'leaky_re_lu_2', 'leaky_re_lu_4', 'leaky_re_lu_8'], styleWeight: 1, styleLayerWeights: layerWeights.style, tvWeight: 10, tvPower: 2 });
  const network = await loadLayersLossNetwork(darknet, { taps: ['leaky_re_lu_1', 'leaky_re_lu_2', 'leaky_re_lu_4', 'leaky_re_lu_8'] });
  const content = await image(CONTENT, size);
  const style = await image(STYLE, 256); // --style-size 256, as in training
  let ffLoss: number | null = null;
  if (existsSync(starter)) {
    const model = await loadTransformModel(starter);
    const out = transform(model, content);
    const grams = styleTargets(network, style, loss.styleLayers);
    const terms = perceptualLoss(network, loss, { generated: out, content, styleGrams: grams, computeUnweighted: true });
    const n = termsToNumbers(terms);
    ffLoss = n.total;
    console.log(`feed-forward (${starter}): total ${n.total.toPrecision(5)} ${JSON.stringify(n)}`);
    disposeTerms(terms);
    tf.dispose([out, ...Object.values(grams), ...Object.values(model.params)]);
  } else {
    console.log(`feed-forward: ${starter} is absent (not trained yet); only the optimize losses below`);
  }
  const started = performance.now();
  const r = await optimizeStyle(network, loss, { content, style }, { iterations });
  const seconds = (performance.now() - started) / 1000;
  const at = (k: number) => r.history[Math.min(k, r.history.length - 1)]!;
  const beat = ffLoss === null ? -1 : r.history.findIndex((f) => f <= ffLoss!);
  console.log(`optimize (L-BFGS from content, ${content.shape[2]}x${content.shape[1]}): loss at iteration 0 ${at(0).toPrecision(5)}, 10 ${at(10).toPrecision(5)}, 50 ${at(50).toPrecision(5)}, ${r.iterations} ${at(r.iterations).toPrecision(5)} (${r.evaluations} evaluations, ${seconds.toFixed(1)} s, stopped: ${r.reason})`);
  console.log(`optimize final (clamped image): ${JSON.stringify(r.terms)}`);
  if (ffLoss !== null) console.log(`optimize reaches the feed-forward loss ${ffLoss.toPrecision(5)} ${beat < 0 ? 'not within' : `at iteration ${beat} of`} ${r.iterations}; final ratio optimize/feed-forward ${(r.terms.total / ffLoss).toFixed(3)}`);
  tf.dispose([content, style, r.image]);
  network.dispose();
}

const runtime = await selectBackend({ backend: argument('backend', 'wasm'), purpose: 'train' });
const host = hostReport();
for (const line of host.lines) console.log(line);
console.log(`backend ${runtime.backend}`);
const parts = argument('part', 'speed,loss').split(',');
if (parts.includes('speed')) await speed(argument('sizes', '256,512').split(',').map(Number), Number(argument('evaluations', '3')));
if (parts.includes('loss')) await finalLoss(Number(argument('loss-size', '256')), Number(argument('loss-iterations', '100')));
console.log(host.end());
