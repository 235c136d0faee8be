import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_SR_ARCH, DEFAULT_STYLE_ARCH, parseArch, resolveSrArch, resolveStyleArch } from '../../src/networks/arch.js';
import { initParams } from '../../src/networks/init.js';
import { paramSpecs, transformParamSpecs } from '../../src/networks/transform.js';

type Coded = Error & { code?: string };
const throwsOption = (fn: () => unknown, kind: typeof TypeError | typeof RangeError, pattern: RegExp): void => {
  assert.throws(fn, (e: Coded) => e instanceof kind && e.code === 'E_OPTIONS' && pattern.test(e.message));
};

test('defaults resolve to the paper networks; ml5 defaults to transposed upsampling', () => {
  assert.equal(resolveStyleArch(), DEFAULT_STYLE_ARCH);
  assert.equal(resolveStyleArch({ width: 0.5 }), { ...DEFAULT_STYLE_ARCH, width: 0.5 });
  assert.equal(resolveStyleArch({ variant: 'ml5' }).upsample, 'transpose');
  assert.equal(resolveSrArch(), DEFAULT_SR_ARCH);
  assert.equal(resolveSrArch({ scale: 8 }).scale, 8);
});

test('style arch validation: TypeError for wrong types, RangeError for bad values, naming the key', () => {
  throwsOption(() => resolveStyleArch({ width: '1' as unknown as number }), TypeError, /^arch\.width must be a number/);
  throwsOption(() => resolveStyleArch({ width: 0 }), RangeError, /^arch\.width must be .*received 0\)/);
  throwsOption(() => resolveStyleArch({ width: Number.NaN }), RangeError, /arch\.width/);
  throwsOption(() => resolveStyleArch({ residualBlocks: 1.5 }), RangeError, /^arch\.residualBlocks must be an integer in \[0, 64\] \(received 1\.5\)/);
  throwsOption(() => resolveStyleArch({ upsample: 'bicubic' as 'resize' }), RangeError, /^arch\.upsample must be one of resize, transpose \(received "bicubic"\)/);
  throwsOption(() => resolveStyleArch({ variant: 'ml5', upsample: 'resize' }), RangeError, /^arch\.upsample must be 'transpose' for the ml5 variant/);
  throwsOption(() => resolveStyleArch({ task: 'sr' } as never), RangeError, /^arch\.task must be one of style/);
  throwsOption(() => resolveStyleArch({ widht: 1 } as never), RangeError, /^arch\.widht must be absent \(known keys: task, variant, width/);
  throwsOption(() => resolveStyleArch(null as never), TypeError, /^arch must be an object \(received null\)/);
  throwsOption(() => resolveStyleArch({ c1Kernel: 6 }), RangeError, /^arch\.c1Kernel must be an odd integer in \[1, 15\] \(a centred kernel\) \(received 6\)/);
  throwsOption(() => resolveStyleArch({ variant: 'ml5', outKernel: 3 }), RangeError, /^arch\.outKernel must be 9 for the ml5 variant .*\(received 3\)/);
});

test('style kernel sizes: default 9, and they set the shapes of c1 and out only', () => {
  assert.is(resolveStyleArch().c1Kernel, 9);
  assert.is(resolveStyleArch({ variant: 'ml5' }).outKernel, 9);
  const specs = new Map(transformParamSpecs(resolveStyleArch({ width: 0.25, residualBlocks: 1, c1Kernel: 5, outKernel: 3 })).map((s) => [s.name, s.shape]));
  assert.equal(specs.get('c1.kernel'), [5, 5, 3, 8]);
  assert.equal(specs.get('out.kernel'), [3, 3, 8, 3]);
  assert.equal(specs.get('res0.conv1.kernel'), [3, 3, 32, 32]);
  // A model file written before the fields existed reads as 9x9.
  const old = parseArch('{"task":"style","variant":"johnson","width":0.25,"residualBlocks":3,"upsample":"resize"}');
  assert.equal(old, { task: 'style', variant: 'johnson', width: 0.25, residualBlocks: 3, upsample: 'resize', c1Kernel: 9, outKernel: 9 });
});

test('sr arch validation', () => {
  throwsOption(() => resolveSrArch({ scale: 3 as 2 }), RangeError, /^arch\.scale must be one of 2, 4, 8 \(received 3\)/);
  throwsOption(() => resolveSrArch({ scale: '4' as unknown as 4 }), TypeError, /^arch\.scale/);
  throwsOption(() => resolveSrArch({ filters: 0 }), RangeError, /^arch\.filters must be an integer in \[1, 1024\]/);
  throwsOption(() => resolveSrArch({ skip: 'lanczos' as 'none' }), RangeError, /^arch\.skip must be one of bicubic, bilinear, nearest, none/);
  throwsOption(() => resolveSrArch({ upsample: 'shufle' as 'shuffle' }), RangeError, /^arch\.upsample must be one of resize, transpose, shuffle/);
  throwsOption(() => resolveSrArch({ c1Kernel: 4 }), RangeError, /^arch\.c1Kernel must be an odd integer in \[1, 15\] \(a centred kernel\) \(received 4\)/);
  throwsOption(() => resolveSrArch({ outKernel: 17 }), RangeError, /^arch\.outKernel must be an integer in \[1, 15\]/);
});

test('sub-pixel SR defaults: 5x5 first conv, 3x3 output conv, bicubic skip; each overridable', () => {
  assert.equal(resolveSrArch({ upsample: 'shuffle' }), { ...DEFAULT_SR_ARCH, upsample: 'shuffle', c1Kernel: 5, outKernel: 3, skip: 'bicubic' });
  assert.equal(resolveSrArch({ upsample: 'shuffle', c1Kernel: 9, skip: 'bilinear' }), { ...DEFAULT_SR_ARCH, upsample: 'shuffle', c1Kernel: 9, outKernel: 3, skip: 'bilinear' });
  assert.equal(DEFAULT_SR_ARCH.c1Kernel, 9);
  assert.equal(DEFAULT_SR_ARCH.outKernel, 9);
});

test('parseArch: fills defaults, dispatches on task, wraps problems as E_MODEL_FORMAT naming the file', () => {
  assert.equal(parseArch('{"task":"sr","scale":2}'), { ...DEFAULT_SR_ARCH, scale: 2 });
  // An SR file written before the kernel sizes were recorded: the paper's 9x9 convs and bilinear skip.
  assert.equal(parseArch('{"task":"sr","scale":4,"filters":64,"residualBlocks":4,"upsample":"resize","skip":"bilinear"}'), DEFAULT_SR_ARCH);
  assert.equal(parseArch(JSON.stringify(resolveSrArch({ upsample: 'shuffle', filters: 32 }))), resolveSrArch({ upsample: 'shuffle', filters: 32 }));
  assert.equal(parseArch(JSON.stringify(resolveStyleArch({ width: 0.5 }))), resolveStyleArch({ width: 0.5 }));
  const formatError = (json: string, pattern: RegExp): void =>
    assert.throws(() => parseArch(json, 'm.safetensors'), (e: Coded) => e.code === 'E_MODEL_FORMAT' && pattern.test(e.message));
  formatError('{"task":', /^m\.safetensors: metadata 'arch' is not valid JSON/);
  formatError('{"task":"gan"}', /^m\.safetensors: metadata 'arch' is invalid: arch\.task must be one of style, sr/);
  formatError('{"task":"style","width":-1}', /arch\.width/);
  formatError('[1]', /arch must be an object/);
});

test('transformParamSpecs dispatches on task; paramSpecs is the same function', () => {
  assert.is(paramSpecs, transformParamSpecs);
  assert.ok(transformParamSpecs(resolveStyleArch()).some((s) => s.name === 'd2.norm.gamma'));
  assert.ok(transformParamSpecs(resolveSrArch()).some((s) => s.name === 'u2.bias'));
});

test('initParams rejects a non-integer seed', () => {
  throwsOption(() => initParams(resolveSrArch({ filters: 2 }), 1.5), TypeError, /^seed must be an integer \(received 1\.5\)/);
});

test.run();
