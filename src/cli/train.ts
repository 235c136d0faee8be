/**
 * @file `perceptual train style|sr|distill`: trains a transform network (Johnson et
 * al. 2016) in a run directory that survives interruption: Ctrl-C or SIGTERM
 * write a checkpoint first, `--resume RUN_DIR` continues exactly;
 * `train export RUN_DIR` writes the model of any checkpoint.
 */
import { Command, Option } from 'commander';
import { optionRangeError, optionTypeError } from '../errors.js';
import { resolveModel } from '../weights/model-registry.js';
import type { TrainOptions, TrainTask } from '../train/train-options.js';
import { type CommonOptions, chooseBackend, commandAction, parseInteger, parseNonNegative, parseNumber, withCommonOptions } from './command-helpers.js';
import type { CliContext } from './context.js';
import { addLossOptions, type LossCliOptions, lossWeightsFlag, toLossOptions } from './loss-options.js';
import type { Output } from './output.js';
import { trainProgress } from './train-progress.js';

/** The flags: the trainer's own option names where they mean the same, plus the CLI-only ones. */
interface TrainCliOptions
  extends CommonOptions,
    LossCliOptions,
    Pick<TrainOptions, 'out' | 'style' | 'styleSize' | 'imageSize' | 'batchSize' | 'iterations' | 'epochs' | 'lr' | 'lrDecay' | 'seed' | 'checkpointEvery' | 'keepCheckpoints' | 'previewEvery' | 'dtype' | 'init' | 'teacher' | 'teacherMargin' | 'lossBorder' | 'workers'> {
  data?: string[];
  runDir?: string;
  resume?: string;
  scale?: number;
  width?: number;
  filters?: number;
  residualBlocks?: number;
  c1Kernel?: number;
  outKernel?: number;
  upsample?: 'resize' | 'transpose' | 'shuffle';
  degradation?: TrainOptions['degradation'];
  flip: boolean;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

const DESCRIPTIONS: Record<TrainTask, string> = {
  style: 'Train a fast style transfer network for one style image.',
  sr: 'Train a single-image super-resolution network (x2, x4 or x8).',
  distill: "Train a slim style network to reproduce a teacher style model's outputs (pixel plus feature loss against them): a faster copy of the teacher.",
};

function subcommand(context: CliContext, task: TrainTask): Command {
  const command = new Command(task)
    .description(DESCRIPTIONS[task])
    .option('--data <dir>', 'folder of training images (JPEG, PNG, WebP; recursive); repeat for several', collect)
    .option('--out <model>', 'where the trained model goes (.safetensors)')
    .option('--run-dir <dir>', 'run directory: config, log.jsonl, checkpoints, previews (default: <out>.run)')
    .option('--resume <run-dir>', 'continue the run in this directory from its newest valid checkpoint (options come from its config.json; only --iterations (not below the step reached) and --workers may change)')
    .option('--image-size <px>', `crop size (default ${task === 'sr' ? 288 : 256})`, parseInteger)
    .option('--batch-size <n>', 'images per step (default 4)', parseInteger)
    .option('--workers <n>', 'worker threads that share each batch, each on its own WASM backend, at most the batch size (default 1: train in this thread on the chosen backend)', parseInteger)
    .option('--iterations <n>', 'optimisation steps (default 40000)', parseInteger)
    .option('--epochs <n>', 'passes over the data (when --iterations is not given)', parseInteger)
    .option('--lr <lr>', 'Adam learning rate (default 1e-3)', parseNumber)
    .option('--lr-decay <d>', 'inverse-time decay: lr / (1 + d * step) (default 0)', parseNonNegative)
    .option('--residual-blocks <n>', 'residual blocks', parseInteger)
    .option('--c1-kernel <k>', `kernel size of the first conv (odd; default ${task === 'sr' ? "9, 5 with --upsample shuffle" : '9; 5 makes a slim student faster'})`, parseInteger)
    .option('--out-kernel <k>', `kernel size of the last conv (odd; default ${task === 'sr' ? "9, 3 with --upsample shuffle" : '9; 3 makes a slim student faster'})`, parseInteger)
    .addOption(task !== 'sr'
      ? new Option('--upsample <mode>', 'upsampling').choices(['resize', 'transpose'])
      : new Option('--upsample <mode>', "upsampling: the paper's resize-conv or transposed-conv stages, or shuffle (sub-pixel head, every conv at low resolution; default resize)").choices(['resize', 'transpose', 'shuffle']))
    .option('--seed <n>', 'seed for init, shuffling and crops (default 0)', parseInteger)
    .addOption(new Option('--loss-border <mode>', "what the loss network sees beyond the image border: zero (its own padding; default) or reflect (the image mirrored, so no artificial edge enters the losses)").choices(['zero', 'reflect']))
    .option('--init <model>', 'start from this model file (same architecture) instead of random weights: fine-tuning')
    .option('--no-flip', 'no random horizontal flips')
    .option('--checkpoint-every <n>', 'steps between checkpoints (default 500)', parseInteger)
    .option('--keep-checkpoints <n>', 'checkpoints kept (default 3)', parseInteger)
    .option('--preview-every <n>', 'steps between preview images, 0 for none (default 500)', parseInteger)
    .addOption(new Option('--dtype <t>', 'storage type of the final model').choices(['F16', 'F32']).default('F16'));
  if (task === 'style') {
    command
      .option('--style <image>', 'the style image')
      .option('--style-size <px>', 'long side of the style image for the style targets (default 256)', parseInteger)
      .option('--width <w>', 'filter multiplier (1: the paper\'s 32/64/128)', parseNumber);
  } else if (task === 'distill') {
    command
      .option('--teacher <model>', 'the style model to learn from: a model file, a bundled model name or an ml5 checkpoint folder')
      .option('--teacher-margin <px>', 'pixels of reflected photo the teacher sees around each crop, so that its own border marks fall outside the target (default 32; 0: the bare crop)', parseInteger)
      .option('--width <w>', 'filter multiplier of the student (1: the paper\'s 32/64/128; 0.25 or 0.5 for real-time students)', parseNumber);
  } else {
    command
      .addOption(new Option('--scale <f>', 'upscaling factor').choices(['2', '4', '8']).default(4).argParser(Number))
      .option('--filters <n>', 'filters of the residual trunk (default 64)', parseInteger)
      .addOption(new Option('--degradation <d>', 'how LR inputs are made: blur-bicubic (Gaussian sigma 1 then bicubic, the paper\'s; default) or bicubic (MATLAB imresize, as the benchmarks\' LR images)').choices(['blur-bicubic', 'bicubic']));
  }
  addLossOptions(command, task === 'style');
  return withCommonOptions(command).action(
    commandAction(context, async (output: Output, options: TrainCliOptions) => {
      const { resumeTraining, train } = await import('../index.js');
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
          if (options.runDir !== undefined && options.runDir !== runDir) {
            throw optionRangeError('--run-dir', `left out with --resume (the run directory is ${runDir})`, options.runDir);
          }
          // Only the flags typed, not commander's defaults: resumeTraining refuses any that differ from config.json.
          const typed = Object.fromEntries(Object.entries(options).filter(([key]) => command.getOptionValueSource(key) !== 'default')) as TrainCliOptions;
          result = await resumeTraining(runDir, await toTrainOptions(task, typed), hooks);
        } else {
          if (options.out === undefined) throw optionTypeError('--out', 'the path of the model to write', options.out);
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

async function toTrainOptions(task: TrainTask, o: TrainCliOptions): Promise<TrainOptions> {
  // Only the flags given: train() merges them over the task's TASK_DEFAULTS.
  const loss = await toLossOptions(o, {});
  const arch: Record<string, unknown> = {};
  if (o.width !== undefined) arch.width = o.width;
  if (o.residualBlocks !== undefined) arch.residualBlocks = o.residualBlocks;
  if (o.upsample !== undefined) arch.upsample = o.upsample;
  if (o.c1Kernel !== undefined) arch.c1Kernel = o.c1Kernel;
  if (o.outKernel !== undefined) arch.outKernel = o.outKernel;
  if (o.scale !== undefined) arch.scale = o.scale;
  if (o.filters !== undefined) arch.filters = o.filters;
  return {
    task, data: o.data, out: o.out, style: o.style, styleSize: o.styleSize, arch, loss,
    // Without --loss-taps a layers network exposes every layer, so the recipe's defaults (src/train/loss-recipes.ts) find their taps too.
    lossNetwork: o.lossNetwork, lossWeights: lossWeightsFlag(o), lossTaps: o.lossTaps, lossPreprocess: o.lossPreprocess,
    imageSize: o.imageSize, degradation: o.degradation, batchSize: o.batchSize, iterations: o.iterations, epochs: o.epochs, lr: o.lr, lrDecay: o.lrDecay,
    seed: o.seed, flip: o.flip, checkpointEvery: o.checkpointEvery, keepCheckpoints: o.keepCheckpoints, previewEvery: o.previewEvery, dtype: o.dtype,
    init: o.init, lossBorder: o.lossBorder, workers: o.workers, teacher: o.teacher === undefined ? undefined : await resolveModel(o.teacher), teacherMargin: o.teacherMargin,
  };
}

/** The `train` command with its `style` and `sr` subcommands. */
export function trainCommand(context: CliContext): Command {
  return new Command('train')
    .description('Train a transform network with perceptual losses (resumable run directories).')
    .addCommand(subcommand(context, 'style'))
    .addCommand(subcommand(context, 'sr'))
    .addCommand(subcommand(context, 'distill'))
    .addCommand(exportSubcommand(context));
}

/** `train export RUN_DIR --out MODEL [--step N]`: a model file from a checkpoint. */
function exportSubcommand(context: CliContext): Command {
  const command = new Command('export')
    .description('Write the model of one checkpoint of a run (default: its newest) as a model file, without resuming the run: ship the step whose previews look best.')
    .argument('<run-dir>', 'the run directory (config.json, checkpoints/)')
    .option('--out <model>', 'where the model goes (.safetensors)')
    .option('--step <n>', 'the checkpoint to export (default: the newest)', parseInteger)
    .addOption(new Option('--dtype <t>', 'storage type of the model').choices(['F16', 'F32']).default('F16'));
  return withCommonOptions(command).action(
    commandAction(context, async (output: Output, options: CommonOptions & { out?: string; step?: number; dtype: 'F16' | 'F32' }, runDir: string) => {
      if (options.out === undefined) throw optionTypeError('--out', 'the path of the model to write', options.out);
      const { exportCheckpoint } = await import('../train/export-checkpoint.js');
      await chooseBackend(context, output, options.backend, 'infer');
      const exported = await exportCheckpoint(runDir, { out: options.out, step: options.step, dtype: options.dtype });
      output.info(`exported step ${exported.step} of ${runDir}`);
      output.result(exported.path);
    }),
  );
}
