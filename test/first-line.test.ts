import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { firstLine } from '../src/first-line.js';

test('firstLine keeps the first line of an Error message, or of what is not an Error', () => {
  assert.is(firstLine(new Error('Input buffer contains unsupported image format\n    at Sharp.toBuffer')), 'Input buffer contains unsupported image format');
  assert.is(firstLine(new TypeError('one line')), 'one line');
  assert.is(firstLine('thrown text\nmore'), 'thrown text');
  assert.is(firstLine(42), '42');
  assert.is(firstLine(undefined), 'undefined');
  assert.is(firstLine(new Error('')), '');
});

test.run();
