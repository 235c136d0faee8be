/**
 * A user's install, for real: `npm pack` the package, install the tarball
 * into a new project with `npm ci --offline` (from npm's cache, as on a
 * machine without internet), then run the README's library snippet against
 * the installed package, the CLI through its bin, and bundle
 * `perceptual/browser` and `perceptual/browser/train` for the browser
 * platform with esbuild (no `node:` import may reach them).
 *
 * An offline install needs a lockfile (without one npm asks the registry
 * which versions exist): the new project's lists the tarball and this
 * repository's locked runtime dependencies, whose tarballs `npm ci` left in
 * the cache.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createContext, runInContext } from 'node:vm';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NODE_IMPORT } from '../helpers/node-imports.js';

const root = resolve('.');
const work = mkdtempSync(join(tmpdir(), 'perceptual-consumer-'));
const project = join(work, 'app');
const run = (command: string, args: string[], cwd: string) =>
  execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' } });

test.before(() => {
  // dist/ was built by the test command; --ignore-scripts packs it as it is.
  const packed = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], root))[0];
  mkdirSync(project);
  const tarball = `file:../${packed.filename}`;
  const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
  const self = lock.packages[''];
  const runtime = Object.entries(lock.packages as Record<string, { dev?: boolean; devOptional?: boolean; peer?: boolean }>).filter(
    ([path, entry]) => path.startsWith('node_modules/') && !entry.dev && !entry.devOptional && !entry.peer,
  );
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', type: 'module', private: true, dependencies: { perceptual: tarball } }));
  writeFileSync(
    join(project, 'package-lock.json'),
    JSON.stringify({
      name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true,
      packages: {
        '': { name: 'app', version: '1.0.0', dependencies: { perceptual: tarball } },
        'node_modules/perceptual': { version: self.version, resolved: tarball, license: self.license, dependencies: self.dependencies, bin: self.bin },
        ...Object.fromEntries(runtime),
      },
    }),
  );
  run('npm', ['ci', '--offline', '--ignore-scripts'], project);
});

test.after(() => {
  rmSync(work, { recursive: true, force: true });
});

test('the README library snippet runs against the installed package: bundled SR model by default, a stylizer by name', () => {
  writeFileSync(
    join(project, 'snippet.mjs'),
    `import { createStylizer, createUpscaler, bundledModels } from 'perceptual';
const width = 24, height = 16;
const rgb = new Uint8Array(width * height * 3).map((_, i) => (i * 37) % 256);
const upscaler = await createUpscaler();
const big = await upscaler.upscale({ data: rgb, width, height });
await upscaler.close();
const style = (await bundledModels()).find((m) => m.task === 'style' && m.default);
const stylizer = await createStylizer({ model: style.name });
const png = await stylizer.stylize(Buffer.from(await (await import('sharp')).default(rgb, { raw: { width, height, channels: 3 } }).png().toBuffer()));
await stylizer.close();
console.log(JSON.stringify({ width: big.width, height: big.height, png: String.fromCharCode(...png.subarray(1, 4)) }));
`,
  );
  const out = JSON.parse(run('node', ['snippet.mjs'], project).trim().split('\n').pop()!);
  assert.equal(out, { width: 96, height: 64, png: 'PNG' });
});

test('the CLI runs from the installed bin: perceptual models lists the bundled models', () => {
  const listed = JSON.parse(run(join(project, 'node_modules', '.bin', 'perceptual'), ['models', '--json'], project));
  assert.ok(listed.some((m: { name: string; default: boolean }) => m.name === 'sr-x4' && m.default));
});

/**
 * Writes `source` as `file` in the consumer project and bundles it for the
 * browser platform with esbuild (ESM unless `options` say otherwise); the
 * bundle must build without errors and import no Node module.
 */
async function bundleForBrowser(file: string, source: string, options: { format?: 'esm' | 'iife'; globalName?: string } = {}): Promise<string> {
  writeFileSync(join(project, file), source);
  const esbuild = await import('esbuild');
  const result = await esbuild.build({ entryPoints: [join(project, file)], bundle: true, platform: 'browser', format: 'esm', ...options, write: false, absWorkingDir: project, logLevel: 'silent' });
  assert.is(result.errors.length, 0);
  const text = result.outputFiles[0]!.text;
  assert.not.match(text, NODE_IMPORT);
  return text;
}

test('perceptual/browser bundles for the browser platform with no Node built-in', async () => {
  const text = await bundleForBrowser('page.mjs', "import { createBrowserStylizer } from 'perceptual/browser';\nconsole.log(typeof createBrowserStylizer);\n");
  assert.ok(text.length > 1000);
});

test('perceptual/browser/train bundles for the browser platform with no Node built-in; importing it registers tfjs-core\'s gradients, then the corrected MirrorPad one', async () => {
  const text = await bundleForBrowser(
    'train-page.mjs',
    "import { trainStep } from 'perceptual/browser/train';\nexport { getGradient } from '@tensorflow/tfjs-core';\nexport const step = typeof trainStep;\n",
    { format: 'iife', globalName: 'page' },
  );
  // Run in a bare realm like a worker's (`self`, no `process`): in Node the browser
  // bundle's tfjs-core would pick its Node platform, whose modules the browser build left out.
  // The bundle has its own tfjs-core, so its registry is read through its own getGradient.
  const realm = createContext({ console, TextEncoder, TextDecoder, setTimeout, clearTimeout, queueMicrotask });
  realm.self = runInContext('globalThis', realm);
  const page = runInContext(`${text};\npage`, realm) as { step: string; getGradient(kernel: string): object | undefined };
  assert.is(page.step, 'function');
  assert.ok(page.getGradient('Conv2D'), "tfjs-core's Conv2D gradient is registered");
  const mirrorPad = page.getGradient('MirrorPad') as Record<symbol, unknown> | undefined;
  assert.is(mirrorPad?.[Symbol.for('perceptual.mirrorPadGradient')], true, "MirrorPad's gradient is perceptual's, not tfjs-core's");
});

test.run();
