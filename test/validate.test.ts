/**
 * src/validate.ts: each check returns what it was given, or throws E_OPTIONS
 * naming the parameter, the rule and what it received: TypeError for a value
 * of the wrong type, RangeError for one of the right type out of range.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  checkInteger,
  checkKnownKeys,
  checkNumber,
  checkOneOf,
  inRange,
  integerAtLeast,
  nonEmptyString,
  nonNegativeNumber,
  numberFromText,
  optionalIntegerAtLeast,
  plainObject,
  positiveNumber,
} from '../src/validate.js';
import { throwsOption } from './helpers/option-errors.js';

test('checkInteger words the range it was given and returns the value', () => {
  assert.is(checkInteger(3, 'n', 1), 3);
  assert.is(checkInteger(-7, 'n'), -7);
  throwsOption(() => checkInteger(0, 'options.size', 1), RangeError, 'options.size must be a positive integer (received 0)');
  throwsOption(() => checkInteger(-1, 'options.prefetch', 0), RangeError, 'options.prefetch must be a non-negative integer (received -1)');
  throwsOption(() => checkInteger(3, 'options.tile', 4), RangeError, 'options.tile must be an integer >= 4 (received 3)');
  throwsOption(() => checkInteger(101, 'options.quality', 1, 100), RangeError, 'options.quality must be an integer from 1 to 100 (received 101)');
  throwsOption(() => checkInteger(1.5, 'options.seed'), RangeError, 'options.seed must be an integer (received 1.5)');
  throwsOption(() => checkInteger(Number.NaN, 'n', 0), RangeError, 'n must be a non-negative integer (received NaN)');
  throwsOption(() => checkInteger('2', 'options.workers', 1), TypeError, 'options.workers must be a positive integer (received "2")');
  throwsOption(() => checkInteger(undefined, 'n', 0, 9, 'a digit'), TypeError, 'n must be a digit (received undefined)');
});

test('integerAtLeast names the bound even where checkInteger would say positive or non-negative', () => {
  throwsOption(() => integerAtLeast(0, 'options.tile', 1), RangeError, 'options.tile must be an integer >= 1 (received 0)');
  assert.is(optionalIntegerAtLeast(undefined, 'options.maxQueue', 0, 8), 8);
  assert.is(optionalIntegerAtLeast(0, 'options.maxQueue', 0, 8), 0);
  throwsOption(() => optionalIntegerAtLeast(-1, 'options.timeoutMs', 0, 5, 'an integer >= 0 (milliseconds; 0 for no limit)'), RangeError, 'options.timeoutMs must be an integer >= 0 (milliseconds; 0 for no limit) (received -1)');
});

test('number checks: finite, inside the range, the lower bound excluded where asked', () => {
  assert.is(checkNumber(0, 'options.strength', 'a number from 0 to 1', 0, 1), 0);
  assert.is(checkNumber(1, 'options.strength', 'a number from 0 to 1', 0, 1), 1);
  throwsOption(() => checkNumber(1.5, 'options.strength', 'a number from 0 to 1', 0, 1), RangeError, 'options.strength must be a number from 0 to 1 (received 1.5)');
  throwsOption(() => positiveNumber(0, 'options.lr'), RangeError, 'options.lr must be a positive number (received 0)');
  throwsOption(() => positiveNumber(Infinity, 'sigma', 'a positive finite number'), RangeError, 'sigma must be a positive finite number (received Infinity)');
  throwsOption(() => positiveNumber(null, 'options.lr'), TypeError, 'options.lr must be a positive number (received null)');
  assert.is(nonNegativeNumber(0, 'options.lrDecay'), 0);
  throwsOption(() => nonNegativeNumber(-1e-9, 'options.lrDecay'), RangeError, 'options.lrDecay must be a non-negative number (received -1e-9)');
});

test('checkOneOf: RangeError for an unlisted value of the listed type, TypeError for another type', () => {
  assert.is(checkOneOf('webp', 'options.format', ['png', 'jpeg', 'webp']), 'webp');
  assert.is(checkOneOf(4, 'arch.scale', [2, 4, 8]), 4);
  throwsOption(() => checkOneOf('gif', 'options.format', ['png', 'jpeg', 'webp']), RangeError, 'options.format must be one of png, jpeg, webp (received "gif")');
  throwsOption(() => checkOneOf('4', 'arch.scale', [2, 4, 8]), TypeError, 'arch.scale must be one of 2, 4, 8 (received "4")');
  throwsOption(() => checkOneOf(undefined, 'options.task', ['style', 'sr']), TypeError, 'options.task must be one of style, sr (received undefined)');
});

test('strings, objects and known keys', () => {
  assert.is(nonEmptyString('runs/a', 'options.out'), 'runs/a');
  throwsOption(() => nonEmptyString('', 'options.out'), TypeError, 'options.out must be a non-empty string (received "")');
  const bag = { width: 1 };
  assert.is(plainObject(bag, 'arch'), bag);
  throwsOption(() => plainObject([], 'arch'), TypeError, 'arch must be an object (received [])');
  throwsOption(() => plainObject(null, 'arch'), TypeError, 'arch must be an object (received null)');
  checkKnownKeys(bag, 'arch', ['width', 'upsample']);
  throwsOption(() => checkKnownKeys({ widht: 1 }, 'arch', ['width', 'upsample']), RangeError, 'arch.widht must be absent (known keys: width, upsample) (received 1)');
});

test('numberFromText reads blank text as NaN, not 0; inRange is false for NaN', () => {
  assert.equal([numberFromText('90'), numberFromText(' 0.5 '), numberFromText('1e2')], [90, 0.5, 100]);
  assert.ok(Number.isNaN(numberFromText('')));
  assert.ok(Number.isNaN(numberFromText('  ')));
  assert.ok(Number.isNaN(numberFromText('abc')));
  assert.is(inRange(Number.NaN, 0, 1), false);
  assert.is(inRange(1, 0, 1), true);
});

test.run();
