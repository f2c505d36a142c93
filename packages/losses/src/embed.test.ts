import { tf } from '@contrastive/tensor-gpu';
import { describe, expect, it } from 'vitest';
import { embedCallOptions, embedColumns } from './embed.js';
import { deriveSeed } from './internal/rng.js';
import { MultipleNegativesRankingLoss } from './losses/mnrl.js';
import type { EmbedCallOptions, EmbeddingModel, LossBatch, LossContext } from './types.js';

/** Records every embedTensor call; embeddings are constant (the options are what is checked). */
function recordingModel(): EmbeddingModel & {
  calls: Array<{ texts: string[]; options?: EmbedCallOptions }>;
} {
  const calls: Array<{ texts: string[]; options?: EmbedCallOptions }> = [];
  return {
    calls,
    embedTensor: (texts, options) => {
      calls.push({ texts, options });
      return tf.ones([texts.length, 4]) as tf.Tensor2D;
    },
    namedVariables: () => [],
  };
}

const batch: LossBatch = {
  size: 2,
  columnNames: ['anchor', 'positive'],
  columns: { anchor: ['a', 'b'], positive: ['a', 'b'] },
};
const ctx: LossContext = { training: true, seed: 7, dropoutRate: 0.1, prompts: ['query: ', undefined] };

describe('public embedding-call helpers (plain-object losses)', () => {
  it('give each call its own seed and its column prompt', () => {
    expect(embedCallOptions(ctx, 0)).toEqual({
      training: true,
      seed: deriveSeed(7, 0),
      dropoutRate: 0.1,
      prompt: 'query: ',
    });
    expect(embedCallOptions(ctx, 1)).toEqual({ training: true, seed: deriveSeed(7, 1), dropoutRate: 0.1 });
    expect(deriveSeed(7, 0)).not.toBe(deriveSeed(7, 1));
    expect(embedCallOptions({ training: false }, 3)).toEqual({ training: false });
  });

  it('make exactly the calls a built-in EmbeddingLoss makes', () => {
    const plain = recordingModel();
    tf.dispose(embedColumns(plain, batch, ctx, 'plugin'));
    const builtIn = recordingModel();
    tf.dispose(new MultipleNegativesRankingLoss().forward(builtIn, batch, ctx));
    expect(plain.calls).toEqual(builtIn.calls);
    expect(plain.calls).toHaveLength(2);
  });
});
