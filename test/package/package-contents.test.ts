/**
 * What `npm pack` ships: the compiled library, CLI, workers, bundled models
 * and licence; not the tests, sources, benchmarks or training runs; every
 * `exports` target inside the tarball; and no dependency that downloads at
 * install (the native tfjs backends are optional peers).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
// --ignore-scripts: list what would be packed without rebuilding dist/ (the test command built it).
const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }))[0];
const files = new Set<string>(packed.files.map((f: { path: string }) => f.path));

test('the tarball has the entry points, the CLI launcher, the licence and every registered model', () => {
  for (const path of ['LICENSE', 'README.md', 'package.json', 'bin/perceptual.js', 'dist/src/index.js', 'dist/src/cli/main.js', 'dist/workers/infer.node.js', 'dist/vendor/tfjs-core-gradients.js', 'models/index.json']) {
    assert.ok(files.has(path), `${path} is packed`);
  }
  const registry = JSON.parse(readFileSync('models/index.json', 'utf8'));
  for (const model of registry.models) assert.ok(files.has(`models/${model.file}`), `models/${model.file} (${model.name}) is packed`);
});

test('every exports target is in the tarball', () => {
  for (const [entry, target] of Object.entries(pkg.exports as Record<string, string | Record<string, string>>)) {
    for (const path of typeof target === 'string' ? [target] : Object.values(target)) {
      if (path.includes('*')) continue;
      assert.ok(files.has(path.replace(/^\.\//, '')), `${entry} -> ${path} is packed`);
    }
  }
});

test('no tests, sources, benchmarks, training runs or source maps', () => {
  // The kernels' binary ships for edge runtimes, which import it as a module (perceptual/wasm/*.wasm).
  const unwanted = [...files].filter((p) => p !== 'wasm/perceptual-kernels.wasm').filter((p) => /^(test|src|bench|runs|scripts|wasm|scratch|\.ci)\//.test(p) || p.endsWith('.map') || p.endsWith('.ts') && !p.endsWith('.d.ts'));
  assert.equal(unwanted, []);
});

test('dist/workers holds only the compiled worker entries (helpers such as the test crash hook live in src)', () => {
  const strays = [...files].filter((p) => p.startsWith('dist/workers/')).filter((p) => !existsSync(p.replace(/^dist\//, '').replace(/\.(js|d\.ts)$/, '.ts')));
  assert.equal(strays, []);
});

test('the native tfjs backends are optional peers, never installed by npm install perceptual', () => {
  for (const name of ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu']) {
    assert.is(pkg.dependencies?.[name], undefined, `${name} is not a dependency`);
    assert.is(pkg.optionalDependencies?.[name], undefined, `${name} is not an optional dependency (npm would try its download)`);
    assert.ok(pkg.peerDependencies?.[name], `${name} is a peer`);
    assert.is(pkg.peerDependenciesMeta?.[name]?.optional, true, `${name} is an optional peer`);
  }
});

test.run();
