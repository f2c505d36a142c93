import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test-support/shared.js';
import { parsePoolingConfig, pooledDimension, readPoolingConfig, writePoolingConfig } from './config.js';

describe('1_Pooling/config.json', () => {
  it('reads the real all-MiniLM-L6-v2 config and writes it back byte-identical in content', () => {
    const dir = sharedPath('models', 'all-MiniLM-L6-v2-config', '1_Pooling');
    const cfg = readPoolingConfig(dir);
    expect(cfg).toEqual({ dimension: 384, modes: ['mean'], includePrompt: true });
    const out = mkdtempSync(join(tmpdir(), 'pool-'));
    writePoolingConfig(out, cfg);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))).toEqual(
      JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')),
    );
  });
  it('concatenated modes and errors', () => {
    const cfg = parsePoolingConfig({
      word_embedding_dimension: 8,
      pooling_mode_cls_token: true,
      pooling_mode_max_tokens: true,
    });
    expect(cfg.modes).toEqual(['cls', 'max']);
    expect(pooledDimension(cfg)).toBe(16);
    expect(() => parsePoolingConfig({ word_embedding_dimension: 8 }, 'x/config.json')).toThrow(
      /x\/config.json: no pooling mode/,
    );
    expect(() => parsePoolingConfig({ pooling_mode_mean_tokens: true })).toThrow(/word_embedding_dimension/);
    expect(() => readPoolingConfig('/nonexistent')).toThrow(
      /\/nonexistent\/config.json: pooling config not found/,
    );
  });
});
