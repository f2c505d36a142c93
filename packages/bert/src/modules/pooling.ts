import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  type PoolingConfig,
  type PoolingMode,
  parsePoolingConfig,
  pool,
  pooledDimension,
  readPoolingConfig,
  writePoolingConfig,
} from '@contrastive/pooling';
import { tf } from '@contrastive/tensor-gpu';
import { type GraphBuilder, int, ints } from '../onnx/graph_builder.js';
import type { Features, HeadModule, HeadModuleType, OnnxFeatures, OnnxModuleWriter } from './module.js';

/** sentence-transformers' Pooling module (`1_Pooling/`): token embeddings → one vector per text. */
export class PoolingModule implements HeadModule {
  readonly type = 'sentence_transformers.models.Pooling';
  readonly folderName = 'Pooling';

  constructor(public config: PoolingConfig) {}

  outputDimension(): number {
    return pooledDimension(this.config);
  }

  forward(f: Features): Features {
    const pooled = this.config.modes.map((m) =>
      pool(m, f.tokenEmbeddings, f.attentionMask, { excludeLeadingTokens: f.excludeLeadingTokens }),
    );
    const sentenceEmbedding = pooled.length === 1 ? pooled[0]! : (tf.concat(pooled, 1) as tf.Tensor2D);
    return { ...f, sentenceEmbedding };
  }

  namedVariables() {
    return [];
  }

  async save(dir: string): Promise<void> {
    writePoolingConfig(dir, this.config);
  }

  onnx(): OnnxModuleWriter | undefined {
    const modes = this.config.modes;
    // lasttoken has no ONNX form here: it runs on tfjs after the ONNX transformer.
    if (modes.some((m) => m === 'lasttoken')) return undefined;
    return (g, x) => {
      const pooled = (modes as Array<Exclude<PoolingMode, 'lasttoken'>>).map((mode) =>
        poolTokens(g, mode, x),
      );
      const y = pooled.length === 1 ? pooled[0]! : g.op('Concat', pooled, { axis: int(1) });
      return { ...x, sentenceEmbedding: y, dimension: x.dimension * pooled.length };
    };
  }

  describe(): string {
    return `Pooling (${this.config.modes.join(' + ')})`;
  }

  dispose(): void {}
}

/** Pools `[B, S, H]` with the float mask `[B, S, 1]` exactly as @contrastive/pooling does on tfjs. */
function poolTokens(g: GraphBuilder, mode: Exclude<PoolingMode, 'lasttoken'>, f: OnnxFeatures): string {
  const x = f.tokenEmbeddings;
  const m3 = f.poolingMask3;
  const sumOver = (t: string) => g.op('ReduceSum', [t, g.constInt64([1])], { keepdims: int(0) });
  switch (mode) {
    case 'cls':
      return g.op('Gather', [x, g.constInt64(0)], { axis: int(1) });
    case 'mean':
      return g.op('Div', [sumOver(g.op('Mul', [x, m3])), g.op('Max', [sumOver(m3), g.constFloat(1e-9)])]);
    case 'mean_sqrt_len':
      return g.op('Div', [
        sumOver(g.op('Mul', [x, m3])),
        g.op('Sqrt', [g.op('Max', [sumOver(m3), g.constFloat(1e-9)])]),
      ]);
    case 'max': {
      const masked = g.op('Add', [
        g.op('Mul', [x, m3]),
        g.op('Mul', [g.op('Sub', [g.constFloat(1), m3]), g.constFloat(-1e9)]),
      ]);
      return g.op('ReduceMax', [masked], { axes: ints([1]), keepdims: int(0) });
    }
    case 'weightedmean': {
      // Weights 1…S on real tokens.
      const n = f.maxPositions;
      const positions = g.op('Slice', [
        g.constFloat(
          Array.from({ length: n }, (_, i) => i + 1),
          [n, 1],
        ),
        g.constInt64([0]),
        f.sequenceLength,
        g.constInt64([0]),
      ]);
      const w3 = g.op('Mul', [m3, positions]);
      return g.op('Div', [sumOver(g.op('Mul', [x, w3])), g.op('Max', [sumOver(w3), g.constFloat(1e-9)])]);
    }
  }
}

export const PoolingModuleType: HeadModuleType = {
  type: 'sentence_transformers.models.Pooling',
  load(dir, context) {
    // A folder without its config is an error: silently pooling by mean would change every embedding.
    if (!existsSync(join(dir, 'config.json')))
      throw new Error(
        `${join(dir, 'config.json')}: Pooling config not found (named by ${context.modulesFile})`,
      );
    const config = readPoolingConfig(dir);
    if (config.dimension !== context.inputDimension)
      throw new Error(
        `${join(dir, 'config.json')}: word_embedding_dimension ${config.dimension} ≠ hidden_size ${context.inputDimension}`,
      );
    return new PoolingModule(config);
  },
};

/** Mean pooling over `dimension`, what sentence-transformers adds to a plain Hugging Face model. */
export function defaultPooling(dimension: number): PoolingModule {
  return new PoolingModule(
    parsePoolingConfig({ word_embedding_dimension: dimension, pooling_mode_mean_tokens: true }),
  );
}
