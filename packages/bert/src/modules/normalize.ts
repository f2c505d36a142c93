import { normalize } from '@contrastive/pooling';
import { l2Normalize } from '../onnx/ops.js';
import type { Features, HeadModule, HeadModuleType, OnnxModuleWriter } from './module.js';

/** sentence-transformers' Normalize module: L2-normalized sentence embeddings (an empty folder on disk). */
export class NormalizeModule implements HeadModule {
  readonly type = 'sentence_transformers.models.Normalize';
  readonly folderName = 'Normalize';

  outputDimension(inputDimension: number): number {
    return inputDimension;
  }

  forward(f: Features): Features {
    if (!f.sentenceEmbedding)
      throw new Error('Normalize: no sentence embedding (a Pooling module must come first)');
    return { ...f, sentenceEmbedding: normalize(f.sentenceEmbedding) };
  }

  namedVariables() {
    return [];
  }

  async save(): Promise<void> {}

  onnx(): OnnxModuleWriter {
    return (g, x) => {
      if (!x.sentenceEmbedding) throw new Error('Normalize: no sentence embedding');
      return { ...x, sentenceEmbedding: l2Normalize(g, x.sentenceEmbedding) };
    };
  }

  describe(): string {
    return 'Normalize';
  }

  dispose(): void {}
}

export const NormalizeModuleType: HeadModuleType = {
  type: 'sentence_transformers.models.Normalize',
  load: () => new NormalizeModule(),
};
