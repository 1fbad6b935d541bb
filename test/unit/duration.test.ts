import { durationText, positiveDurationProblem } from '../../src/domain/duration';
import { formatDurationText, parseDurationText } from '../../src/config/duration-text';

describe('positiveDurationProblem', () => {
  it.each([
    [1n, 0, undefined],
    [0n, 1, undefined],
    [0n, 500_000_000, undefined],
    [315_576_000_000n, 999_999_999, undefined],
    [0n, 0, 'must be greater than 0'],
    [-1n, 0, 'must not be negative'],
    [0n, -500_000_000, 'must not be negative'],
    [-2n, -500_000_000, 'must not be negative'],
    [1n, -1, 'seconds and nanos must have the same sign'],
    [-1n, 1, 'seconds and nanos must have the same sign'],
    [1n, 1_000_000_000, 'nanos must be between -999999999 and 999999999'],
    [1n, -1_000_000_000, 'nanos must be between -999999999 and 999999999'],
    [1n, 0.5, 'nanos must be between -999999999 and 999999999'],
    [315_576_000_001n, 0, 'must be within ±315576000000s'],
    [-315_576_000_001n, 0, 'must be within ±315576000000s'],
  ])('%s s %s ns -> %s', (seconds, nanos, problem) => {
    expect(positiveDurationProblem({ seconds, nanos })).toBe(problem);
  });
});

describe('operator durations', () => {
  it.each([
    ['12h', 43_200n, 0],
    ['720h', 2_592_000n, 0],
    ['30d', 2_592_000n, 0],
    ['1h30m', 5_400n, 0],
    ['90s', 90n, 0],
    ['1s500ms', 1n, 500_000_000],
    [' 2h ', 7_200n, 0],
  ])('parses %j', (text, seconds, nanos) => {
    expect(parseDurationText(text)).toEqual({ seconds, nanos });
  });

  it.each(['', '12', 'h', '1.5h', '-1h', '12 h', '1y', '1h 30m', 'forever'])('refuses %j', (text) => {
    expect(parseDurationText(text)).toBeUndefined();
  });

  it.each([
    [43_200n, 0, '12h'],
    [2_592_000n, 0, '30d'],
    [7_776_000n, 0, '90d'],
    [90n, 0, '90s'],
    [1n, 500_000_000, '1500ms'],
    [0n, 1, '1ns'],
  ])('formats %s s %s ns as %j', (seconds, nanos, text) => {
    expect(formatDurationText({ seconds, nanos })).toBe(text);
  });
});

describe('durationText (the event log form)', () => {
  it.each([
    [43_200n, 0, '43200s'],
    [1n, 500_000_000, '1.500s'],
    [1n, 1, '1.000000001s'],
    [0n, 1_000, '0.000001s'],
    [0n, 1, '0.000000001s'],
    [-2n, -500_000_000, '-2.500s'],
    [0n, -500_000_000, '-0.500s'],
    [315_576_000_000n, 999_999_999, '315576000000.999999999s'],
  ])('%s s %s ns -> %s', (seconds, nanos, text) => {
    expect(durationText({ seconds, nanos })).toBe(text);
  });
});
