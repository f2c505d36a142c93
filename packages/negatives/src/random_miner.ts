import { mixSeed, mulberry32, sampleIndices } from './internal/random.js';
import type { MinerContext, MiningQuery, NegativeMiner, QueryCandidates } from './types.js';

/**
 * Easy negatives: passages drawn uniformly at random from the corpus (seeded per query). Unscored, so
 * score filters do not apply; positives are removed by mineHardNegatives like any miner's.
 */
export class RandomMiner implements NegativeMiner {
  readonly name = 'random';
  readonly scored = false;

  async candidates(queries: readonly MiningQuery[], ctx: MinerContext): Promise<QueryCandidates[]> {
    return queries.map((_, qi) => {
      const random = mulberry32(mixSeed(ctx.seed, qi, 0x52414e44));
      return {
        candidates: sampleIndices(ctx.corpus.length, ctx.k, random).map((i) => ({ text: ctx.corpus[i]! })),
      };
    });
  }
}
