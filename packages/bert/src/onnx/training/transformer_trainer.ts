import type {
  TokenEmbeddingTrainer,
  TransformerPassOptions,
  TransformerTrainingPass,
} from '../../backends.js';
import type { BertModel } from '../../model.js';
import type { EncodedBatch } from '../../tokenizer.js';
import { OnnxBertTrainer } from './internal/bert_engine.js';

/**
 * BERT's training passes on onnxruntime-node behind the `TokenEmbeddingTrainer` interface: each forward pass
 * reads the model's current weights (they must not change before its backward pass), the backward pass turns
 * dLastHidden into every weight's gradient.
 */
export class OnnxTransformerTrainer implements TokenEmbeddingTrainer {
  readonly engine = 'onnx';

  private constructor(private readonly trainer: OnnxBertTrainer) {}

  static async create(bert: BertModel, options: { threads?: number } = {}): Promise<OnnxTransformerTrainer> {
    return new OnnxTransformerTrainer(await OnnxBertTrainer.create(bert, options));
  }

  async forward(batch: EncodedBatch, options: TransformerPassOptions = {}): Promise<TransformerTrainingPass> {
    const weights = this.trainer.snapshotWeights();
    const activations = await this.trainer.forward(batch, weights, options);
    return {
      hidden: activations.hidden,
      backward: (dHidden, into) => this.trainer.backward(activations, dHidden, weights, into),
    };
  }

  async release(): Promise<void> {
    await this.trainer.release();
  }
}
