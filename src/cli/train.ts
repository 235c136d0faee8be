/**
 * @file `perceptual train style|sr`: trains a transform network (Johnson et
 * al. 2016) in a run directory that survives interruption: Ctrl-C or SIGTERM
 * write a checkpoint first, `--resume RUN_DIR` continues exactly.
 */
import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { optionTypeError, perceptualError } from '../errors.js';
import type { PerceptualLossOptions } from '../losses/perceptual-options.js';
import type { TrainOptions, TrainTask } from '../train/train-options.js';
import { type CommonOptions, chooseBackend, commandAction, parseInteger, parseList, parseNonNegative, parseNumber, withCommonOptions } from './command-helpers.js';
import type { CliContext } from './context.js';
import type { Output } from './output.js';
import { trainProgress } from './train-progress.js';

interface TrainCliOptions extends CommonOptions {
  data?: string[];
  out?: string;
  runDir?: string;
  resume?: string;
  style?: string;
  styleSize?: number;
  scale?: number;
  contentLayers?: string[];
  styleLayers?: string[];
  contentWeight?: number;
  styleWeight?: number;
  pixelWeight?: number;
  tvWeight?: number;
  tvPower?: number;
  layerWeights?: string;
  lossNetwork?: string;
  lossWeights?: string;
  lossPreprocess?: 'identity' | '255' | 'minus-one-one';
  imageSize?: number;
  batchSize?: number;
  iterations?: number;
  epochs?: number;
  lr?: number;
  lrDecay?: number;
  width?: number;
  filters?: number;
  residualBlocks?: number;
  upsample?: 'resize' | 'transpose';
  seed?: number;
  flip: boolean;
  checkpointEvery?: number;
  keepCheckpoints?: number;
  previewEvery?: number;
  dtype?: 'F32' | 'F16';
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function subcommand(context: CliContext, task: TrainTask): Command {
  const command = new Command(task)
    .description(task === 'style'
      ? 'Train a fast style transfer network for one style image.'
      : 'Train a single-image super-resolution network (x2, x4 or x8).')
    .option('--data <dir>', 'folder of training images (JPEG, PNG, WebP; recursive); repeat for several', collect)
    .option('--out <model>', 'where the trained model goes (.safetensors)')
    .option('--run-dir <dir>', 'run directory: config, log.jsonl, checkpoints, previews (default: <out>.run)')
    .option('--resume <run-dir>', 'continue the run in this directory from its newest valid checkpoint (other options come from its config.json; --iterations may extend it)')
    .option('--content-layers <taps>', 'feature (content) loss taps, comma-separated', parseList)
    .option('--content-weight <w>', 'feature loss weight', parseNonNegative)
    .option('--pixel-weight <w>', 'pixel loss weight', parseNonNegative)
    .option('--tv-weight <w>', 'total variation weight', parseNonNegative)
    .addOption(new Option('--tv-power <p>', 'total variation exponent').choices(['1', '2']).argParser(Number))
    .option('--layer-weights <file>', 'JSON {"content": {tap: w}, "style": {tap: w}} of per-layer weights')
    .option('--loss-network <name|dir>', 'vgg16, vgg19, or a folder with a tfjs layers model (model.json)', 'vgg16')
    .option('--loss-weights <file>', 'VGG weights (torchvision safetensors or Keras h5), or "random" for seeded random weights (benchmarks); default: the file `perceptual weights fetch` cached')
    .addOption(new Option('--loss-preprocess <p>', 'input scaling of a layers loss network').choices(['identity', '255', 'minus-one-one']))
    .option('--image-size <px>', `crop size (default ${task === 'style' ? 256 : 288})`, parseInteger)
    .option('--batch-size <n>', 'images per step (default 4)', parseInteger)
    .option('--iterations <n>', 'optimisation steps (default 40000)', parseInteger)
    .option('--epochs <n>', 'passes over the data (when --iterations is not given)', parseInteger)
    .option('--lr <lr>', 'Adam learning rate (default 1e-3)', parseNumber)
    .option('--lr-decay <d>', 'inverse-time decay: lr / (1 + d * step) (default 0)', parseNonNegative)
    .option('--residual-blocks <n>', 'residual blocks', parseInteger)
    .addOption(new Option('--upsample <mode>', 'upsampling').choices(['resize', 'transpose']))
    .option('--seed <n>', 'seed for init, shuffling and crops (default 0)', parseInteger)
    .option('--no-flip', 'no random horizontal flips')
    .option('--checkpoint-every <n>', 'steps between checkpoints (default 500)', parseInteger)
    .option('--keep-checkpoints <n>', 'checkpoints kept (default 3)', parseInteger)
    .option('--preview-every <n>', 'steps between preview images, 0 for none (default 500)', parseInteger)
    .addOption(new Option('--dtype <t>', 'storage type of the final model').choices(['F16', 'F32']).default('F16'));
  if (task === 'style') {
    command
      .option('--style <image>', 'the style image')
      .option('--style-size <px>', 'long side of the style image for the style targets (default 256)', parseInteger)
      .option('--style-layers <taps>', 'style loss taps, comma-separated', parseList)
      .option('--style-weight <w>', 'style loss weight', parseNonNegative)
      .option('--width <w>', 'filter multiplier (1: the paper\'s 32/64/128)', parseNumber);
  } else {
    command
      .addOption(new Option('--scale <f>', 'upscaling factor').choices(['2', '4', '8']).default(4).argParser(Number))
      .option('--filters <n>', 'filters of the residual trunk (default 64)', parseInteger);
  }
  command.option('--loss-taps <layers>', 'for a layers loss network: the layer names to expose as taps (default: every content and style layer)', parseList);
  return withCommonOptions(command).action(
    commandAction(context, async (output: Output, options: TrainCliOptions & { lossTaps?: string[] }) => {
      const { resumeTraining, train } = await import('../train/train.js');
      const runtime = await chooseBackend(context, output, options.backend, 'train');
      const controller = new AbortController();
      const stop = (signal: string) => {
        if (!controller.signal.aborted) output.info(`\n${signal}: finishing this step and writing a checkpoint (again to quit at once)`);
        else process.exit(130);
        controller.abort(signal);
      };
      const onInt = () => stop('SIGINT');
      const onTerm = () => stop('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      try {
        const hooks = { signal: controller.signal, onEvent: trainProgress(context) };
        let runDir: string;
        let result;
        if (options.resume !== undefined) {
          runDir = options.resume;
          result = await resumeTraining(runDir, { iterations: options.iterations }, hooks);
        } else {
          const trainOptions = await toTrainOptions(task, options);
          runDir = options.runDir ?? `${trainOptions.out}.run`;
          result = await train(trainOptions, runDir, hooks);
        }
        const speed = result.meanStepMs === null ? '' : `, ${(1000 / result.meanStepMs).toFixed(3)} it/s, ${result.imagesPerSec!.toFixed(2)} images/s`;
        output.info(`trained on ${runtime.backend}: ${result.stepsRun} steps in ${result.seconds.toFixed(1)} s${speed} (step ${result.step}/${result.total})`);
        if (result.status === 'interrupted') {
          output.info(`interrupted at step ${result.step}/${result.total}; continue with: perceptual train ${task} --resume ${runDir}`);
          context.exitCode = 130;
        } else {
          output.result(result.modelPath!);
        }
      } finally {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
      }
    }),
  );
}

async function toTrainOptions(task: TrainTask, o: TrainCliOptions & { lossTaps?: string[] }): Promise<TrainOptions> {
  if (o.out === undefined) throw optionTypeError('--out', 'the path of the model to write', o.out);
  const loss: PerceptualLossOptions = {};
  if (o.contentLayers) loss.contentLayers = o.contentLayers;
  if (o.styleLayers) loss.styleLayers = o.styleLayers;
  if (o.contentWeight !== undefined) loss.contentWeight = o.contentWeight;
  if (o.styleWeight !== undefined) loss.styleWeight = o.styleWeight;
  if (o.pixelWeight !== undefined) loss.pixelWeight = o.pixelWeight;
  if (o.tvWeight !== undefined) loss.tvWeight = o.tvWeight;
  if (o.tvPower !== undefined) loss.tvPower = o.tvPower as 1 | 2;
  if (o.layerWeights !== undefined) {
    let parsed: { content?: Record<string, number>; style?: Record<string, number> };
    try {
      parsed = JSON.parse(await readFile(o.layerWeights, 'utf8'));
    } catch (error) {
      throw perceptualError('E_IO', `Cannot read --layer-weights ${o.layerWeights}: ${(error as Error).message}. Pass a JSON file like {"style": {"relu1_2": 1}}.`, error);
    }
    if (parsed.content) loss.contentLayerWeights = parsed.content;
    if (parsed.style) loss.styleLayerWeights = parsed.style;
  }
  const arch: Record<string, unknown> = {};
  if (o.width !== undefined) arch.width = o.width;
  if (o.residualBlocks !== undefined) arch.residualBlocks = o.residualBlocks;
  if (o.upsample !== undefined) arch.upsample = o.upsample;
  if (o.scale !== undefined) arch.scale = o.scale;
  if (o.filters !== undefined) arch.filters = o.filters;
  const isVgg = o.lossNetwork === 'vgg16' || o.lossNetwork === 'vgg19';
  const lossTaps = o.lossTaps ?? (isVgg ? undefined : [...new Set([...(loss.contentLayers ?? []), ...(loss.styleLayers ?? [])])]);
  return {
    task, data: o.data, out: o.out, style: o.style, styleSize: o.styleSize, arch, loss,
    lossNetwork: o.lossNetwork, lossWeights: o.lossWeights, lossTaps, lossPreprocess: o.lossPreprocess,
    imageSize: o.imageSize, batchSize: o.batchSize, iterations: o.iterations, epochs: o.epochs, lr: o.lr, lrDecay: o.lrDecay,
    seed: o.seed, flip: o.flip, checkpointEvery: o.checkpointEvery, keepCheckpoints: o.keepCheckpoints, previewEvery: o.previewEvery, dtype: o.dtype,
  };
}

/** The `train` command with its `style` and `sr` subcommands. */
export function trainCommand(context: CliContext): Command {
  return new Command('train')
    .description('Train a transform network with perceptual losses (resumable run directories).')
    .addCommand(subcommand(context, 'style'))
    .addCommand(subcommand(context, 'sr'));
}
