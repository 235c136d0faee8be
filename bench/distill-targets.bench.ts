/**
 * @file Why `train distill` runs the teacher on every training crop instead
 * of once per photo: a style network with instance norm gives a crop a
 * different output from the same crop of its output on the whole photo (the
 * crop's feature statistics are not the photo's). Prints the PSNR between
 * the two for a few training photos and crop sizes.
 *
 * Run: node --import tsx bench/distill-targets.bench.ts [--teacher ../shared/data/ml5-style/wave] [--sizes 128,192,256]
 */
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { loadTransformModel, selectBackend, transform } from '../src/index.js';
import { argument } from './bench-args.js';

const photos = '../shared/data/train/bsds500/train';
const teacherPath = argument('teacher', '../shared/data/ml5-style/wave');
if (!existsSync(photos) || !existsSync(teacherPath)) {
  console.log(`skipped: ${photos} or ${teacherPath} is absent (../shared/data holds them)`);
  process.exit(0);
}
const sizes = argument('sizes', '128,192,256').split(',').map(Number);
console.log(`machine: ${cpus()[0]?.model} x${cpus().length}, Node ${process.versions.node}`);
console.log(`command: node --import tsx bench/distill-targets.bench.ts ${process.argv.slice(2).join(' ')}`.trimEnd());
await selectBackend({ backend: 'wasm' });
const teacher = await loadTransformModel(teacherPath);
console.log(`\n| photo | ${sizes.map((s) => `${s} px crop`).join(' | ')} |\n| --- | ${sizes.map(() => '---').join(' | ')} |`);
for (const name of ['100075.jpg', '12003.jpg', '118035.jpg', '2092.jpg']) {
  const { data, info } = await sharp(`${photos}/${name}`).raw().toBuffer({ resolveWithObject: true });
  const cells = tf.tidy(() => {
    const photo = tf.tensor4d(Float32Array.from(data, (v) => v / 255), [1, info.height, info.width, 3]);
    const whole = tf.clipByValue(transform(teacher, photo, { lean: true }), 0, 1);
    return sizes.map((size) => {
      const begin = [0, 40, 60, 0];
      const ofCrop = tf.clipByValue(transform(teacher, tf.slice(photo, begin, [1, size, size, 3]), { lean: true }), 0, 1);
      const cropOfWhole = tf.slice(whole, begin, [1, size, size, 3]);
      return tf.mean(tf.squaredDifference(ofCrop, cropOfWhole));
    });
  });
  const psnrs = cells.map((mse) => (10 * Math.log10(1 / mse.dataSync()[0]!)).toFixed(2));
  tf.dispose(cells);
  console.log(`| ${name} | ${psnrs.join(' | ')} |`);
}
console.log('\nPSNR (dB) between teacher(crop) and crop(teacher(photo)); the crop starts at (60, 40).');
