import { describe, expect, it } from 'vitest';
import { filterPaths, fnmatchToRegExp } from './patterns.js';

// Expected values are Python's fnmatch.fnmatchcase(name, pattern).
describe('fnmatchToRegExp', () => {
  const cases: [string, string, boolean][] = [
    ['config.json', '*.json', true],
    ['1_Pooling/config.json', '*.json', true],
    ['model.safetensors', '*.json', false],
    ['model.safetensors', 'model.*', true],
    ['modelXsafetensors', 'model.*', false],
    ['vocab.txt', 'vocab.tx?', true],
    ['vocab.tx', 'vocab.tx?', false],
    ['a1', 'a[0-9]', true],
    ['ab', 'a[0-9]', false],
    ['ab', 'a[!0-9]', true],
    ['a]', 'a[]]', true],
    ['a[', 'a[', true],
    ['a^', 'a[^]', true],
    ['a(b)+', 'a(b)+', true],
    ['ab', 'a(b)+', false],
  ];
  it.each(cases)('%s against %s is %s', (name, pattern, expected) => {
    expect(fnmatchToRegExp(pattern).test(name)).toBe(expected);
  });
});

describe('filterPaths', () => {
  const files = [
    'config.json',
    '1_Pooling/config.json',
    'model.safetensors',
    'onnx/model.onnx',
    'tokenizer.json',
  ];

  it('keeps what an allow pattern matches and no ignore pattern does', () => {
    expect(filterPaths(files, ['*.json'], ['tokenizer*'])).toEqual(['config.json', '1_Pooling/config.json']);
    expect(filterPaths(files, undefined, ['*.onnx', '*.safetensors'])).toEqual([
      'config.json',
      '1_Pooling/config.json',
      'tokenizer.json',
    ]);
    expect(filterPaths(files)).toEqual(files);
  });

  it('reads a pattern ending in / as the whole folder', () => {
    expect(filterPaths(files, ['onnx/'])).toEqual(['onnx/model.onnx']);
    expect(filterPaths(files, undefined, ['1_Pooling/'])).not.toContain('1_Pooling/config.json');
  });
});
