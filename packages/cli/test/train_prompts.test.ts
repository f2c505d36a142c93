import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../test-support/cli.js';
import { tempDir } from '../../../test-support/temp.js';
import { readJsonl } from '../../../test-support/training_output.js';
import { runTrainCli } from './helpers.js';

const PAIRS = [
  ['what is the capital of france', 'Paris is the capital of France.'],
  ['how tall is mount everest', 'Mount Everest is 8,849 metres tall.'],
  ['who wrote hamlet', 'Hamlet was written by Shakespeare.'],
  ['when did the war end', 'The war ended in 1945.'],
];

function embeddings(file: string): number[][] {
  return readJsonl<{ embedding: number[] }>(file).map((row) => row.embedding);
}

describe('prompts given at training are saved with the model', () => {
  it.each([
    {
      flags: ['--column-prompt', 'query=query: ', '--column-prompt', 'pos=passage: '],
      prompts: { query: 'query: ', pos: 'passage: ', document: 'passage: ' },
      defaultName: null,
    },
    {
      flags: ['--query-instruction', 'Represent this question for retrieval: '],
      prompts: { query: 'Represent this question for retrieval: ' },
      defaultName: null,
    },
    { flags: ['--prompt', 'text: '], prompts: { query: 'text: ', document: 'text: ' }, defaultName: 'query' },
  ])(
    '$flags.0 → config_sentence_transformers.json, and encode --prompt-name query uses it',
    async ({ flags, prompts, defaultName }) => {
      const dir = tempDir('train-prompts-');
      // FlagEmbedding's column names: query, pos.
      writeFileSync(
        join(dir, 'train.jsonl'),
        PAIRS.map(([query, pos]) => JSON.stringify({ query, pos })).join('\n'),
      );
      const out = join(dir, 'model');
      const r = await runTrainCli(
        {
          train: join(dir, 'train.jsonl'),
          loss: 'mnrl',
          output: out,
          maxSteps: 1,
          batchSize: 4,
          progress: false,
        },
        flags,
      );
      expect(r.status, r.stderr).toBe(0);
      const st = JSON.parse(readFileSync(join(out, 'config_sentence_transformers.json'), 'utf8'));
      expect(st.prompts).toEqual(prompts);
      expect(st.default_prompt_name).toBe(defaultName);

      writeFileSync(join(dir, 'q.txt'), `${PAIRS.map((p) => p[0]).join('\n')}\n`);
      const encode = async (extra: string[], name: string) => {
        const e = await runCli([
          'encode',
          '--model',
          out,
          '--input',
          join(dir, 'q.txt'),
          '--output',
          join(dir, name),
          ...extra,
        ]);
        expect(e.status, e.stderr).toBe(0);
        return embeddings(join(dir, name));
      };
      const byName = await encode(['--prompt-name', 'query'], 'by-name.jsonl');
      const byText = await encode(['--prompt', prompts.query], 'by-text.jsonl');
      const none = await encode(['--prompt', ''], 'none.jsonl');
      expect(byName).toEqual(byText);
      expect(byName).not.toEqual(none);
    },
    300_000,
  );

  it('refuses two ways of giving prompts at once', async () => {
    const dir = tempDir('train-prompts-');
    writeFileSync(join(dir, 'train.jsonl'), JSON.stringify({ query: 'a', pos: 'b' }));
    const r = await runTrainCli({ train: join(dir, 'train.jsonl'), loss: 'mnrl', output: join(dir, 'm') }, [
      '--prompt',
      'x: ',
      '--query-instruction',
      'y: ',
    ]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/give one of --prompt, --query-instruction, not several/);
  });
});
