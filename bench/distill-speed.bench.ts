/**
 * @file How much faster a distilled student runs than its teacher, both
 * measured in one run: the same process and backend (tfjs-wasm, SIMD, 1
 * thread), the same held-out photos, each model one photo per round in turn,
 * the order rotated each round (bench/interleave.ts), so host drift hits both
 * alike; the speed-up is the median of the same-round ratios. Both run as
 * `perceptual eval distill` runs them (`inferImage`, whole image, 8-bit in
 * and out); round r uses photo r of the folder (cycling), reduced so its
 * long side is at most `--max-side`. `eval distill` itself times one model's
 * runs after the other's, per photo. `--square N` instead reduces each photo
 * so that its short side is N and cuts the centre N x N square (the issue's
 * 256x256 measure on real photos).
 *
 * Run: node --import tsx bench/distill-speed.bench.ts [--teacher ../shared/data/ml5-style/wave] [--student wave]
 *        [--images ../shared/data/images/kodak] [--max-side 512 | --square 256] [--rounds 7] [--warmup 1]
 */
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { listImages, readFloatImage } from '../src/eval/image-folder.js';
import { inferImage, loadTransformModel, quantizeImage, resolveModel, type RgbImage, selectBackend, type TransformModel } from '../src/index.js';
import { cutRgb, downscaleRgb } from '../src/infer/rgb-image.js';
import { argument } from './bench-args.js';
import { hostReport } from './host.js';
import { type Contestant, formatRatio, interleave, summarize } from './interleave.js';

async function main(): Promise<void> {
  const teacherPath = argument('teacher', '../shared/data/ml5-style/wave');
  const student = argument('student', 'wave');
  const imagesDir = argument('images', '../shared/data/images/kodak');
  const maxSide = Number(argument('max-side', '512'));
  const square = Number(argument('square', '0'));
  const rounds = Number(argument('rounds', '7'));
  const warmup = Number(argument('warmup', '1'));
  if (!existsSync(teacherPath) || !existsSync(imagesDir)) {
    console.log(`SKIP distill-speed: ${teacherPath} or ${imagesDir} is absent (../shared/data holds them)`);
    return;
  }
  const host = hostReport();
  const runtime = await selectBackend({ backend: 'wasm', purpose: 'infer' });
  for (const line of host.lines) console.log(line);
  console.log(`backend ${runtime.backend} ${JSON.stringify(runtime.details ?? {})}`);
  const names = await listImages(imagesDir, 'held-out photo');
  const photos: RgbImage[] = [];
  // Only the photos the rounds use (warm-up rounds included) are read.
  for (const name of names.slice(0, warmup + rounds)) {
    const photo = quantizeImage(await readFloatImage(imagesDir, name), name);
    if (square > 0) {
      const reduced = downscaleRgb(photo, Math.ceil((square * Math.max(photo.width, photo.height)) / Math.min(photo.width, photo.height)));
      const x = Math.floor((reduced.width - square) / 2);
      const y = Math.floor((reduced.height - square) / 2);
      photos.push(cutRgb(reduced, { x, y, width: square, height: square }));
    } else {
      photos.push(downscaleRgb(photo, maxSide));
    }
  }
  const models: Array<{ name: string; model: TransformModel }> = [];
  try {
    for (const [name, path] of [['teacher', teacherPath], ['student', student]] as const) {
      const model = await loadTransformModel(await resolveModel(path));
      if (model.arch.task !== 'style') throw new Error(`${name} ${path} is not a style model`);
      models.push({ name, model });
      console.log(`${name}: ${path} ${JSON.stringify(model.arch)}`);
    }
    const contestants: Contestant[] = models.map(({ name, model }) => {
      let turn = 0;
      return {
        name,
        async run() {
          // Each contestant runs once per round, so its turn count is the round (warm-up rounds first): both get the same photo.
          const photo = photos[turn++ % photos.length]!;
          const start = performance.now();
          const out = await inferImage(model, photo, { tiling: 'never' });
          const ms = performance.now() - start;
          if (out.width !== photo.width || out.height !== photo.height) throw new Error(`${name} returned ${out.width}x${out.height} for a ${photo.width}x${photo.height} photo`);
          return { ms };
        },
        async close() {},
      };
    });
    const result = await interleave(contestants, { rounds, warmupRounds: warmup });
    if (result.failures.size > 0) throw new Error([...result.failures].map(([name, why]) => `${name}: ${why}`).join('; '));
    const [teacher, studentRow] = summarize(result, 'student');
    const sizing = square > 0 ? `centre ${square}x${square} squares` : `at most ${maxSide} px on the long side`;
    console.log(`\n${rounds} rounds after ${warmup} warm-up, photos of ${imagesDir}, ${sizing} (${photos.map((p) => `${p.width}x${p.height}`).join(', ')})\n`);
    console.log('| model | ms per photo, median (every round) | teacher / student, same round (range) | ratio of medians |');
    console.log('| --- | --- | --- | --- |');
    console.log(`| teacher | ${teacher!.medianMs.toFixed(0)} (${teacher!.ms.map((t) => t.toFixed(0)).join(', ')}) | **${formatRatio(teacher!.vsBase)}** | ${teacher!.vsBase?.ofMedians.toFixed(2) ?? '-'} |`);
    console.log(`| student | ${studentRow!.medianMs.toFixed(0)} (${studentRow!.ms.map((t) => t.toFixed(0)).join(', ')}) | 1 | 1 |`);
    console.log(`\n${host.end()}`);
  } finally {
    for (const { model } of models) tf.dispose(Object.values(model.params));
  }
}

await main();
