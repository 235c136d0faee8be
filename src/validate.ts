/**
 * @file Argument checks in one place, after sharp's lib/is.js: small
 * predicates, and checks that return the value they were given or throw the
 * project's E_OPTIONS error (src/errors.ts), whose message names the
 * parameter, what it must be (with the fix, where the rule alone does not
 * say it) and what was received. A value of the wrong type is a TypeError;
 * one of the right type out of range a RangeError.
 *
 * `expected` words the rule for the message; every check has a default, so a
 * caller passes one only to add the fix (`'an integer >= 0 (milliseconds; 0
 * for no limit)'`).
 */
import { optionRangeError, optionTypeError } from './errors.js';

export const isInteger = (value: unknown): value is number => Number.isInteger(value);

/** A number written as text (a query parameter, an argv value); NaN for blank text, which `Number` reads as 0. */
export const numberFromText = (text: string): number => (text.trim() === '' ? Number.NaN : Number(text));

/** `min <= value <= max`; false for NaN. */
export const inRange = (value: number, min: number, max: number): boolean => value >= min && value <= max;

export const isOneOf = <T>(value: unknown, allowed: readonly T[]): value is T => allowed.includes(value as T);

/** An object that is not null, an array or a function (an options bag). */
export const isPlainObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Bytes as the web platform holds them (`ImageData.data` is a Uint8ClampedArray). */
export const isByteArray = (value: unknown): value is Uint8Array | Uint8ClampedArray => value instanceof Uint8Array || value instanceof Uint8ClampedArray;

/** The rule an integer range reads as: `a positive integer`, `an integer >= 4`, `an integer from 1 to 100`. */
function integerRule(min: number, max: number): string {
  if (min === -Infinity && max === Infinity) return 'an integer';
  if (max !== Infinity) return `an integer from ${min} to ${max}`;
  if (min === 1) return 'a positive integer';
  if (min === 0) return 'a non-negative integer';
  return `an integer >= ${min}`;
}

/**
 * An integer in [min, max].
 * @throws TypeError E_OPTIONS for a non-number; RangeError E_OPTIONS for a fraction, NaN or a value out of range
 */
export function checkInteger(value: unknown, path: string, min = -Infinity, max = Infinity, expected = integerRule(min, max)): number {
  if (typeof value !== 'number') throw optionTypeError(path, expected, value);
  if (!Number.isInteger(value) || !inRange(value, min, max)) throw optionRangeError(path, expected, value);
  return value;
}

/** An integer >= `min`, worded with the bound (`an integer >= 1`, where checkInteger says `a positive integer`). @throws as checkInteger */
export function integerAtLeast(value: unknown, path: string, min: number, expected = `an integer >= ${min}`): number {
  return checkInteger(value, path, min, Infinity, expected);
}

/** integerAtLeast for an optional option: `fallback` when `value` is undefined. */
export function optionalIntegerAtLeast(value: unknown, path: string, min: number, fallback: number, expected?: string): number {
  return value === undefined ? fallback : integerAtLeast(value, path, min, expected);
}

/**
 * A finite number in [min, max], or in (min, max] when `exclusiveMin`.
 * @throws TypeError E_OPTIONS for a non-number; RangeError E_OPTIONS for NaN, an infinity or a value out of range
 */
export function checkNumber(value: unknown, path: string, expected: string, min = -Infinity, max = Infinity, exclusiveMin = false): number {
  if (typeof value !== 'number') throw optionTypeError(path, expected, value);
  if (!Number.isFinite(value) || !inRange(value, min, max) || (exclusiveMin && value === min)) throw optionRangeError(path, expected, value);
  return value;
}

/** A finite number > 0. @throws as checkNumber */
export function positiveNumber(value: unknown, path: string, expected = 'a positive number'): number {
  return checkNumber(value, path, expected, 0, Infinity, true);
}

/** A finite number >= 0. @throws as checkNumber */
export function nonNegativeNumber(value: unknown, path: string, expected = 'a non-negative number'): number {
  return checkNumber(value, path, expected, 0);
}

/**
 * One of `allowed`.
 * @throws TypeError E_OPTIONS for a value of another type than the allowed ones; RangeError E_OPTIONS for one not listed
 */
export function checkOneOf<T extends string | number>(value: unknown, path: string, allowed: readonly T[], expected = `one of ${allowed.join(', ')}`): T {
  if (isOneOf(value, allowed)) return value;
  if (!allowed.some((item) => typeof item === typeof value)) throw optionTypeError(path, expected, value);
  throw optionRangeError(path, expected, value);
}

/** A string with at least one character. @throws TypeError E_OPTIONS otherwise */
export function nonEmptyString(value: unknown, path: string, expected = 'a non-empty string'): string {
  if (typeof value !== 'string' || value === '') throw optionTypeError(path, expected, value);
  return value;
}

/** An options bag (see isPlainObject). @throws TypeError E_OPTIONS otherwise */
export function plainObject(value: unknown, path: string, expected = 'an object'): Record<string, unknown> {
  if (!isPlainObject(value)) throw optionTypeError(path, expected, value);
  return value;
}

/**
 * Refuses keys of `value` not in `known` (a misspelt option would otherwise be ignored).
 * @throws RangeError E_OPTIONS naming the first unknown key and listing the known ones
 */
export function checkKnownKeys(value: object, path: string, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) throw optionRangeError(`${path}.${key}`, `absent (known keys: ${known.join(', ')})`, (value as Record<string, unknown>)[key]);
  }
}
