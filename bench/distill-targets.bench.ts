/**
 * @file Why `train distill` runs the teacher on every training crop instead
 * of once per photo: a style network with instance norm gives a crop a
 * different output from the same crop of its output on the whole photo (the
 * crop's feature statistics are not the photo's). Prints the PSNR between
 * the two for a few training photos and crop sizes.
 *
 * Second table: why the teacher sees a reflected margin around each crop
 * (DEFAULT_TEACHER_MARGIN). The crop lies inside the photo, so the crop of
 * the teacher's output on the whole photo has no image border where the
 * crop's border is; the PSNR of each margin's target against it, in the
 * band along the crop's right and bottom edges and inside it, shows the
 * marks the teacher's zero padding leaves at a border.
 *
 * Run: node --import tsx bench/distill-targets.bench.ts [--teacher ../shared/data/ml5-style/wave] [--sizes 128,192,256] [--margins 0,16,32] [--band 16]
 */
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { loadTransformModel, selectBackend, transform } from '../src/index.js';
import { teacherTarget } from '../src/train/teacher.js';
import { argument } from './bench-args.js';

const photos = '../shared/data/train/bsds500/train';
const teacherPath = argument('teacher', '../shared/data/ml5-style/wave');
if (!existsSync(photos) || !existsSync(teacherPath)) {
  console.log(`skipped: ${photos} or ${teacherPath} is absent (../shared/data holds them)`);
  process.exit(0);
}
const sizes = argument('sizes', '128,192,256').split(',').map(Number);
const margins = argument('margins', '0,16,32').split(',').map(Number);
const band = Number(argument('band', '16'));
const marginSize = 192;
const photoNames = ['100075.jpg', '12003.jpg', '118035.jpg', '2092.jpg'];
console.log(`machine: ${cpus()[0]?.model} x${cpus().length}, Node ${process.versions.node}`);
console.log(`command: node --import tsx bench/distill-targets.bench.ts ${process.argv.slice(2).join(' ')}`.trimEnd());
await selectBackend({ backend: 'wasm' });
const teacher = await loadTransformModel(teacherPath);
console.log(`\n| photo | ${sizes.map((s) => `${s} px crop`).join(' | ')} |\n| --- | ${sizes.map(() => '---').join(' | ')} |`);
/** PSNR of a against b (HWC, side x side) over the pixels `inBand` selects. */
function psnrWhere(a: Float32Array, b: Float32Array, side: number, inBand: (y: number, x: number) => boolean): number {
  let sum = 0;
  let count = 0;
  for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) {
    if (!inBand(y, x)) continue;
    for (let c = 0; c < 3; c++) sum += (a[(y * side + x) * 3 + c]! - b[(y * side + x) * 3 + c]!) ** 2;
    count += 3;
  }
  return 10 * Math.log10(count / sum);
}

const edge = (y: number, x: number): boolean => y >= marginSize - band || x >= marginSize - band;
const begin = [0, 40, 60, 0];
const marginRows: string[] = [];
for (const name of photoNames) {
  const { data, info } = await sharp(`${photos}/${name}`).raw().toBuffer({ resolveWithObject: true });
  const photo = tf.tensor4d(Float32Array.from(data, (v) => v / 255), [1, info.height, info.width, 3]);
  // The teacher runs on the whole photo once; both tables compare crops of this output.
  const whole = tf.tidy(() => tf.clipByValue(transform(teacher, photo, { lean: true }), 0, 1));
  const cells = tf.tidy(() =>
    sizes.map((size) => {
      const ofCrop = tf.clipByValue(transform(teacher, tf.slice(photo, begin, [1, size, size, 3]), { lean: true }), 0, 1);
      return tf.mean(tf.squaredDifference(ofCrop, tf.slice(whole, begin, [1, size, size, 3])));
    }),
  );
  const psnrs = cells.map((mse) => (10 * Math.log10(1 / mse.dataSync()[0]!)).toFixed(2));
  console.log(`| ${name} | ${psnrs.join(' | ')} |`);
  const reference = tf.slice(whole, begin, [1, marginSize, marginSize, 3]);
  const cropTensor = tf.slice(photo, begin, [1, marginSize, marginSize, 3]);
  const expected = (await reference.data()) as Float32Array;
  const crop = (await cropTensor.data()) as Float32Array;
  tf.dispose([...cells, photo, whole, reference, cropTensor]);
  const marginCells: string[] = [];
  for (const margin of margins) {
    const target = await teacherTarget(teacher, margin)(crop, marginSize);
    marginCells.push(`${psnrWhere(target, expected, marginSize, edge).toFixed(2)} / ${psnrWhere(target, expected, marginSize, (y, x) => !edge(y, x)).toFixed(2)}`);
  }
  marginRows.push(`| ${name} | ${marginCells.join(' | ')} |`);
}
console.log('\nPSNR (dB) between teacher(crop) and crop(teacher(photo)); the crop starts at (60, 40).');

console.log(`\n| photo | ${margins.map((m) => `margin ${m}: last ${band} px / inside`).join(' | ')} |\n| --- | ${margins.map(() => '---').join(' | ')} |`);
for (const row of marginRows) console.log(row);
console.log(`\nPSNR (dB) of the distill target (teacher on the ${marginSize} px crop with a reflected margin) against crop(teacher(photo)), along the crop's right and bottom ${band} px and inside them.`);
