/**
 * @file `perceptual eval sr|style`: measure a super-resolution model against
 * bicubic (PSNR/SSIM on Y and RGB, border = scale, src/metrics) or the
 * content and style losses of stylised outputs (SPEC section 3), as a text
 * table (default), JSON (`--json`) or CSV (`--csv`) on stdout.
 *
 * Infinite PSNR (identical images) prints as `inf` in text and CSV and as
 * `null` in JSON (JSON has no Infinity).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Command } from 'commander';
import { optionRangeError, perceptualError } from '../errors.js';
import type { SrEvalResult } from '../eval/eval-sr.js';
import type { StyleEvalResult } from '../eval/eval-style.js';
import type { DistillEvalResult } from '../eval/eval-distill.js';
import type { ImageQuality, LossNetwork, TransformModel } from '../index.js';
import { type CommonOptions, chooseBackend, commandAction, parseInteger, withCommonOptions } from './command-helpers.js';
import type { CliContext } from './context.js';
import { addVggJudgeOptions, checkSeedOrWeights, type VggJudgeCliOptions } from './loss-options.js';
import type { Output } from './output.js';

interface FormatOptions { json?: boolean; csv?: boolean }

interface EvalDistillCliOptions extends CommonOptions, FormatOptions {
  images: string;
  teacher: string;
  model: string;
  maxSize?: number;
  runs?: number;
  teacherMargin?: number;
}

interface EvalSrOptions extends CommonOptions, FormatOptions {
  hr: string;
  lr?: string;
  model?: string;
  scale?: number;
  out?: string;
  roundY?: boolean;
}

interface EvalStyleOptions extends CommonOptions, FormatOptions, VggJudgeCliOptions {
  content: string;
  style: string;
  outputs?: string;
  model?: string;
}

const withFormats = (command: Command) =>
  command
    .option('--json', 'print the result as JSON on stdout', false)
    .option('--csv', 'print one CSV row per image (and a mean row) on stdout', false);

function checkFormats(options: FormatOptions): void {
  if (options.json && options.csv) throw optionRangeError('--json', 'left out when --csv is given (choose one format)', true);
}

/** The `eval` command group. */
export function evalCommand(context: CliContext): Command {
  const group = new Command('eval').description('Measure models: PSNR/SSIM of super-resolution against bicubic, content/style losses of style transfer, a distilled student against its teacher.');

  const sr = new Command('sr')
    .description('PSNR and SSIM (Y of BT.601 and RGB, 8-bit, border = scale cropped) of an SR model and of bicubic upscaling on a folder of HR images.')
    .requiredOption('--hr <dir>', 'folder of high-resolution ground-truth images')
    .option('--lr <dir>', 'folder of LR inputs matched by file name (e.g. Set5/LR_bicubic_x4); default: blur sigma 1 + bicubic of each HR image (SPEC section 4)')
    .option('--model <model>', 'SR model: a bundled model name or a .safetensors file; without it only bicubic is measured')
    .option('--scale <n>', 'upscaling factor (default: the model\'s; required without --model)', parseInteger)
    .option('--out <dir>', 'save the upscaled images as DIR/model/NAME.png and DIR/bicubic/NAME.png')
    .option('--round-y', 'round Y to integers like MATLAB rgb2ycbcr on uint8 (default: unrounded)', false);
  group.addCommand(
    withCommonOptions(withFormats(sr)).action(
      commandAction(context, async (output: Output, options: EvalSrOptions) => {
        checkFormats(options);
        const { evaluateSr } = await import('../index.js');
        await chooseBackend(context, output, options.backend, 'infer');
        const model = options.model === undefined ? undefined : await loadNamedModel(options.model);
        try {
          const result = await evaluateSr({
            hrDir: options.hr,
            lrDir: options.lr,
            model,
            scale: options.scale,
            outDir: options.out,
            roundY: options.roundY,
            onImage: (row, index, total) => output.info(`[${index + 1}/${total}] ${row.image}`),
          });
          output.result(options.json ? srJson(result) : options.csv ? srCsv(result) : srTable(result));
        } finally {
          disposeModel(model);
        }
      }),
    ),
  );

  const style = new Command('style')
    .description('Content (feature) and style losses of stylised outputs against their content images and a style image, under a VGG loss network (SPEC section 3).')
    .requiredOption('--content <dir>', 'folder of content images')
    .requiredOption('--style <image>', 'the style image')
    .option('--outputs <dir>', 'folder of stylised outputs, matched to content images by file name')
    .option('--model <model>', 'a style model to produce the outputs (instead of --outputs): a bundled name, a model file or an ml5 checkpoint folder');
  group.addCommand(
    withCommonOptions(withFormats(addVggJudgeOptions(style, false))).action(
      commandAction(context, async (output: Output, options: EvalStyleOptions) => {
        checkFormats(options);
        if ((options.outputs === undefined) === (options.model === undefined)) {
          throw perceptualError('E_OPTIONS', 'eval style needs exactly one source of outputs: pass --outputs DIR or --model FILE.');
        }
        checkSeedOrWeights(options);
        await chooseBackend(context, output, options.backend, 'infer');
        const { DEFAULT_PERCEPTUAL_LOSS_OPTIONS, evaluateStyle, loadLossNetwork, resolvePerceptualLossOptions } = await import('../index.js');
        const contentLayers = options.contentLayers ?? [...DEFAULT_PERCEPTUAL_LOSS_OPTIONS.contentLayers];
        const styleLayers = options.styleLayers ?? [...DEFAULT_PERCEPTUAL_LOSS_OPTIONS.styleLayers];
        let network: LossNetwork | undefined;
        let model: TransformModel | undefined;
        try {
          network = await loadLossNetwork({ network: options.network, weights: options.weights, seed: options.seed, taps: [...contentLayers, ...styleLayers] });
          output.info(`loss network: ${network.name} from ${network.source}`);
          if (options.model !== undefined) model = await loadNamedModel(options.model);
          const loss = resolvePerceptualLossOptions(
            { contentLayers, styleLayers, contentWeight: options.contentWeight, styleWeight: options.styleWeight, tvWeight: options.tvWeight },
            network.taps,
          );
          const result = await evaluateStyle({
            contentDir: options.content,
            styleImage: options.style,
            outputsDir: options.outputs,
            model,
            network,
            loss,
            onImage: (row, index, total) => output.info(`[${index + 1}/${total}] ${row.image}`),
          });
          output.result(options.json ? JSON.stringify(result) : options.csv ? styleCsv(result) : styleTable(result));
        } finally {
          network?.dispose();
          disposeModel(model);
        }
      }),
    ),
  );
  const distill = new Command('distill')
    .description("How closely a student style model (perceptual train distill) reproduces its teacher on held-out photos: PSNR (RGB, 8-bit) of the student's output against the teacher's, and both models' times.")
    .requiredOption('--images <dir>', 'folder of held-out photos (not the training photos)')
    .requiredOption('--teacher <model>', 'the teacher: a model file, a bundled model name or an ml5 checkpoint folder')
    .requiredOption('--model <model>', 'the student: a model file or a bundled model name')
    .option('--max-size <px>', 'reduce photos so their long side is at most this (default 512)', parseInteger)
    .option('--runs <n>', 'timed runs of each model per photo after a warm-up (default 1)', parseInteger)
    .option('--teacher-margin <px>', "compare with the teacher run on each photo mirrored by this many pixels around its border, cut back: what train distill's --teacher-margin trains for (default 0: the teacher's output as it is)", parseInteger);
  group.addCommand(
    withCommonOptions(withFormats(distill)).action(
      commandAction(context, async (output: Output, options: EvalDistillCliOptions) => {
        checkFormats(options);
        await chooseBackend(context, output, options.backend, 'infer');
        const { evaluateDistill } = await import('../eval/eval-distill.js');
        const models: TransformModel[] = [];
        try {
          for (const path of [options.teacher, options.model]) {
            const model = await loadNamedModel(path);
            models.push(model);
            if (model.arch.task !== 'style') throw optionRangeError(path === options.teacher ? '--teacher' : '--model', 'a style model', `${path} (a super-resolution model)`);
          }
          const result = await evaluateDistill({
            imagesDir: options.images, teacher: models[0]!, student: models[1]!, maxSide: options.maxSize, runs: options.runs, teacherMargin: options.teacherMargin,
            onImage: (row, index, total) => output.info(`[${index + 1}/${total}] ${row.image}: ${row.psnr.toFixed(2)} dB`),
          });
          output.result(options.json ? JSON.stringify(result) : options.csv ? distillCsv(result) : distillTable(result));
        } finally {
          for (const model of models) disposeModel(model);
        }
      }),
    ),
  );
  return group;
}

/** A transform model named by a bundled model name, a model file or an ml5 checkpoint folder. */
async function loadNamedModel(name: string): Promise<TransformModel> {
  const { loadTransformModel, resolveModel } = await import('../index.js');
  return loadTransformModel(await resolveModel(name));
}

function disposeModel(model: TransformModel | undefined): void {
  if (model !== undefined) tf.dispose(Object.values(model.params));
}

const psnrText = (v: number) => (v === Infinity ? 'inf' : v.toFixed(2));
const ssimText = (v: number) => v.toFixed(4);
const csvNumber = (v: number) => (v === Infinity ? 'inf' : String(v));

/** Left-aligned first column, right-aligned others, with a dashed rule under the header. */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

function srColumns(result: SrEvalResult): { header: string[]; cells: (q: { model?: ImageQuality; bicubic: ImageQuality }, csv: boolean) => string[] } {
  const hasModel = result.mean.model !== undefined;
  const names = (who: string) => [`${who} PSNR-Y`, `${who} SSIM-Y`, `${who} PSNR-RGB`, `${who} SSIM-RGB`];
  const values = (q: ImageQuality, csv: boolean) =>
    csv ? [q.psnrY, q.ssimY, q.psnrRgb, q.ssimRgb].map(csvNumber) : [psnrText(q.psnrY), ssimText(q.ssimY), psnrText(q.psnrRgb), ssimText(q.ssimRgb)];
  return {
    header: [...(hasModel ? names('model') : []), ...names('bicubic')],
    cells: (q, csv) => [...(hasModel && q.model ? values(q.model, csv) : []), ...values(q.bicubic, csv)],
  };
}

/** The text table of an SR evaluation: one row per image, then the mean. */
export function srTable(result: SrEvalResult): string {
  const { header, cells } = srColumns(result);
  const rows = [['image', ...header], ...result.rows.map((r) => [r.image, ...cells(r, false)]), ['mean', ...cells(result.mean, false)]];
  const lr = result.lrSource === 'files' ? 'LR from files' : 'LR by blur sigma 1 + bicubic';
  return `${table(rows)}\n(x${result.scale}, ${lr}; PSNR in dB on 8-bit values, Y = BT.601 luma, ${result.scale}-pixel border cropped; SSIM 11x11 Gaussian sigma 1.5)`;
}

/** CSV of an SR evaluation: header, a row per image, a `mean` row; full precision. */
export function srCsv(result: SrEvalResult): string {
  const { header, cells } = srColumns(result);
  const snake = header.map((h) => h.toLowerCase().replace(/[ -]/g, '_'));
  return [['image', ...snake].join(','), ...result.rows.map((r) => [csvField(r.image), ...cells(r, true)].join(',')), ['mean', ...cells(result.mean, true)].join(',')].join('\n');
}

/** JSON of an SR evaluation (infinite PSNR as null). */
export function srJson(result: SrEvalResult): string {
  return JSON.stringify(result, (_key, value: unknown) => (value === Infinity ? null : value));
}

function styleTable(result: StyleEvalResult): string {
  const num = (v: number) => v.toPrecision(5);
  const rows = [
    ['image', 'content', 'style', 'tv', 'total'],
    ...result.rows.map((r) => [r.image, num(r.content), num(r.styleTotal), num(r.tv), num(r.total)]),
    ['mean', num(result.mean.content), num(result.mean.styleTotal), num(result.mean.tv), num(result.mean.total)],
  ];
  return `${table(rows)}\n(content = sum of feature losses, style = sum of style losses over layers, unweighted by content/style weight; total = weighted sum, SPEC section 3)`;
}

function styleCsv(result: StyleEvalResult): string {
  const first = result.rows[0]!;
  const feature = Object.keys(first.feature);
  const style = Object.keys(first.style);
  const header = ['image', 'content', 'style', 'tv', 'total', ...feature.map((l) => `feature_${l}`), ...style.map((l) => `style_${l}`)];
  const rows = result.rows.map((r) => [csvField(r.image), r.content, r.styleTotal, r.tv, r.total, ...feature.map((l) => r.feature[l]), ...style.map((l) => r.style[l])].join(','));
  const m = result.mean;
  return [header.join(','), ...rows, ['mean', m.content, m.styleTotal, m.tv, m.total, ...feature.map(() => ''), ...style.map(() => '')].join(',')].join('\n');
}

function csvField(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function distillTable(result: DistillEvalResult): string {
  const lines = ['image                      size       PSNR vs teacher   teacher ms   student ms'];
  for (const r of result.rows) {
    lines.push(`${r.image.padEnd(26)} ${`${r.width}x${r.height}`.padEnd(10)} ${r.psnr.toFixed(2).padStart(10)} dB ${r.teacherMs.toFixed(0).padStart(12)} ${r.studentMs.toFixed(0).padStart(12)}`);
  }
  const m = result.mean;
  lines.push(`${'mean'.padEnd(37)} ${m.psnr.toFixed(2).padStart(10)} dB ${m.teacherMs.toFixed(0).padStart(12)} ${m.studentMs.toFixed(0).padStart(12)}   (student ${m.speedup.toFixed(1)}x faster)`);
  return lines.join('\n');
}

function distillCsv(result: DistillEvalResult): string {
  const rows = result.rows.map((r) => [r.image, r.width, r.height, r.psnr.toFixed(4), r.teacherMs.toFixed(1), r.studentMs.toFixed(1)].join(','));
  const m = result.mean;
  return ['image,width,height,psnr_vs_teacher,teacher_ms,student_ms', ...rows, ['mean', '', '', m.psnr.toFixed(4), m.teacherMs.toFixed(1), m.studentMs.toFixed(1)].join(',')].join('\n');
}
