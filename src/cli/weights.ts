/**
 * @file `perceptual weights fetch|path vgg16|vgg19`: download pretrained VGG
 * weights into the cache (with progress; Ctrl-C cancels cleanly), or print
 * where they are or would be.
 */
import { existsSync } from 'node:fs';
import { Argument, Command } from 'commander';
import { type CommonOptions, commandAction, withCommonOptions } from './command-helpers.js';
import type { CliContext } from './context.js';
import type { Output } from './output.js';
import { createProgress } from './progress.js';

type VggName = 'vgg16' | 'vgg19';

interface WeightsOptions extends CommonOptions {
  cacheDir?: string;
}

const networkArgument = () => new Argument('<network>', 'which VGG').choices(['vgg16', 'vgg19']);

/** The `weights` command group. */
export function weightsCommand(context: CliContext): Command {
  const group = new Command('weights').description('Manage pretrained loss-network weights (the VGG used by compare and train).');

  const fetch = new Command('fetch')
    .description('Download VGG weights into the cache (verifies the checksum; safe to rerun).')
    .addArgument(networkArgument())
    .option('--cache-dir <dir>', 'where to store them (default: the user cache folder; `perceptual weights path` shows it)');
  group.addCommand(
    withCommonOptions(fetch).action(
      commandAction(context, async (output: Output, options: WeightsOptions, network: VggName) => {
        const { defaultCacheDir, fetchVggWeights } = await import('../weights/fetch-weights.js');
        const progress = createProgress(context, { label: `${network} weights`, unit: 'bytes' });
        const controller = new AbortController();
        const onSigint = () => controller.abort(new Error('interrupted (SIGINT)'));
        process.once('SIGINT', onSigint);
        try {
          const path = await fetchVggWeights(network, {
            cacheDir: options.cacheDir ?? defaultCacheDir(context.env),
            onProgress: ({ received, total }) => progress.update(received, total),
            signal: controller.signal,
          });
          progress.stop();
          output.result(path);
        } catch (error) {
          progress.stop();
          throw error;
        } finally {
          process.removeListener('SIGINT', onSigint);
        }
      }),
    ),
  );

  const path = new Command('path')
    .description('Print where the weights are (or would be) cached; stderr says whether they are there.')
    .addArgument(networkArgument())
    .option('--cache-dir <dir>', 'the cache folder (default: the user cache folder)');
  group.addCommand(
    withCommonOptions(path).action(
      commandAction(context, async (output: Output, options: WeightsOptions, network: VggName) => {
        const { cachedVggWeightsPath, defaultCacheDir } = await import('../weights/fetch-weights.js');
        const file = cachedVggWeightsPath(network, options.cacheDir ?? defaultCacheDir(context.env));
        output.result(file);
        output.info(existsSync(file) ? 'present' : `not downloaded yet: run \`perceptual weights fetch ${network}\``);
      }),
    ),
  );
  return group;
}
