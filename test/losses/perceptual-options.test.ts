import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_PERCEPTUAL_LOSS_OPTIONS, resolvePerceptualLossOptions } from '../../src/losses/index.js';

const VGG16_RELUS = ['relu1_1', 'relu1_2', 'relu2_1', 'relu2_2', 'relu3_1', 'relu3_2', 'relu3_3', 'relu4_1', 'relu4_2', 'relu4_3'];

/** Asserts an E_OPTIONS error of the given class whose message matches. */
function throwsOption(fn: () => unknown, kind: typeof TypeError | typeof RangeError, pattern: RegExp): void {
  try {
    fn();
  } catch (error) {
    assert.instance(error, kind);
    assert.is((error as { code?: string }).code, 'E_OPTIONS');
    assert.match((error as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected ${kind.name} matching ${pattern}`);
}

test('defaults are the paper layers with one weight per layer', () => {
  const r = resolvePerceptualLossOptions();
  assert.equal(r, DEFAULT_PERCEPTUAL_LOSS_OPTIONS);
  assert.equal(r.contentLayers, ['relu2_2']);
  assert.equal(r.styleLayers, ['relu1_2', 'relu2_2', 'relu3_3', 'relu4_3']);
  assert.equal(r.styleLayerWeights, { relu1_2: 1, relu2_2: 1, relu3_3: 1, relu4_3: 1 });
  assert.is(r.tvPower, 2);
  assert.ok(Object.isFrozen(r) && Object.isFrozen(r.styleLayers));
  // A resolved object is valid input and resolves to an equal one.
  assert.equal(resolvePerceptualLossOptions(r as never, VGG16_RELUS), r);
});

test('overrides merge; unspecified layer weights are 1', () => {
  const r = resolvePerceptualLossOptions({ styleLayers: ['relu3_3', 'relu1_2'], styleLayerWeights: { relu3_3: 0.5 }, styleWeight: 0, tvPower: 1 }, VGG16_RELUS);
  assert.equal(r.styleLayers, ['relu3_3', 'relu1_2']);
  assert.equal(r.styleLayerWeights, { relu3_3: 0.5, relu1_2: 1 });
  assert.is(r.styleWeight, 0);
  assert.is(r.tvPower, 1);
  assert.equal(r.contentLayers, ['relu2_2']);
  assert.equal(resolvePerceptualLossOptions({ styleLayers: [] }).styleLayerWeights, {});
});

test('validation messages name the option, the expectation and the value', () => {
  throwsOption(() => resolvePerceptualLossOptions({ styleLayers: ['relu1_2', 'relu2_2', 'relu9_9'] }, VGG16_RELUS), RangeError,
    /^options\.styleLayers\[2\] must be one of relu1_1, relu1_2, .*relu4_3 \(received "relu9_9"\)$/);
  throwsOption(() => resolvePerceptualLossOptions({ contentLayers: ['relu2_2', 'relu2_2'] }), RangeError, /options\.contentLayers\[1\] must be a layer not listed before it \(received "relu2_2"\)/);
  throwsOption(() => resolvePerceptualLossOptions({ contentLayers: 'relu2_2' as never }), TypeError, /options\.contentLayers must be an array of tap names \(received "relu2_2"\)/);
  throwsOption(() => resolvePerceptualLossOptions({ styleLayers: [3 as never] }), TypeError, /options\.styleLayers\[0\] must be a non-empty tap name \(received 3\)/);
  throwsOption(() => resolvePerceptualLossOptions({ styleWeight: -1 }), RangeError, /options\.styleWeight must be a finite number >= 0 \(received -1\)/);
  throwsOption(() => resolvePerceptualLossOptions({ tvWeight: Number.NaN }), RangeError, /options\.tvWeight must be a finite number >= 0 \(received NaN\)/);
  throwsOption(() => resolvePerceptualLossOptions({ contentWeight: '1' as never }), TypeError, /options\.contentWeight must be a number \(received "1"\)/);
  throwsOption(() => resolvePerceptualLossOptions({ pixelWeight: Infinity }), RangeError, /options\.pixelWeight must be a finite number >= 0/);
  throwsOption(() => resolvePerceptualLossOptions({ tvPower: 3 as never }), RangeError, /options\.tvPower must be one of 1, 2 \(received 3\)/);
  throwsOption(() => resolvePerceptualLossOptions({ styleLayerWeights: { relu5_1: 2 } }), RangeError,
    /options\.styleLayerWeights must be keyed by layers of options\.styleLayers \(relu1_2, relu2_2, relu3_3, relu4_3\) \(received "relu5_1"\)/);
  throwsOption(() => resolvePerceptualLossOptions({ contentLayerWeights: { relu2_2: -2 } }), RangeError, /options\.contentLayerWeights\.relu2_2 must be a finite number >= 0 \(received -2\)/);
  throwsOption(() => resolvePerceptualLossOptions({ styleLayerWeights: [] as never }), TypeError, /options\.styleLayerWeights must be an object/);
  throwsOption(() => resolvePerceptualLossOptions({ contentWieght: 1 } as never), RangeError, /options must be an object whose keys are among contentLayers, .* \(received "contentWieght"\)/);
  throwsOption(() => resolvePerceptualLossOptions(null as never), TypeError, /options must be an object \(received null\)/);
});

test('a layer outside the taps lists them; a network with no taps says so instead of an empty "one of"', () => {
  throwsOption(() => resolvePerceptualLossOptions({ contentLayers: ['relu2_2'] }, ['leaky_re_lu_1', 'leaky_re_lu_2']), RangeError, /options\.contentLayers\[0\] must be one of leaky_re_lu_1, leaky_re_lu_2 \(received "relu2_2"\)/);
  const none = /options\.contentLayers\[0\] must be a tap of the loss network, but it exposes none; load it without a tap list .* \(received "relu2_2"\)/;
  throwsOption(() => resolvePerceptualLossOptions({ contentLayers: ['relu2_2'] }, []), RangeError, none);
});

test.run();
