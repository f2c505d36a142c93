import { readFloat32, tf } from '@contrastive/tensor-gpu';
import type { BertModel } from './model.js';
import type { EncodedBatch } from './tokenizer.js';

/**
 * The seam between a model and the engines that run its transformer: tokens in, last hidden state out. Every
 * engine implements these two interfaces — tfjs (`TfjsTransformer`), onnxruntime inference
 * (`OnnxEncoderSession`), onnxruntime training (`OnnxTransformerTrainer`) — and everything after the transformer
 * (head modules, losses) runs on what they return.
 */

/** Inference: tokens in → last hidden state out. */
export interface TokenEmbeddingBackend {
  /** `tfjs` or `onnx`, for reports. */
  readonly engine: string;
  /** The last hidden state `[B, L, H]` of a tokenized batch, row-major (padding positions: any value). */
  lastHiddenState(batch: EncodedBatch): Promise<Float32Array>;
}

/** Dropout and its seed for a training pass (dropout is off unless `training`). */
export interface TransformerPassOptions {
  training?: boolean;
  /** The pass's dropout seed; when absent the model's own dropout counter advances. */
  seed?: number;
  dropoutRate?: number;
}

/** One forward pass kept for its backward pass. */
export interface TransformerTrainingPass {
  /** The last hidden state `[B, L, H]`. */
  readonly hidden: Float32Array;
  /**
   * Back-propagates `dHidden` (`[B, L, H]`, the gradient of the last hidden state; padding ignored) and adds the
   * weight gradients into `into` (by Hugging Face name, shaped as the variables, row-major).
   */
  backward(dHidden: Float32Array, into: Map<string, Float32Array>): Promise<void>;
}

/** Training: forward, then backward of dLastHidden into weight gradients. */
export interface TokenEmbeddingTrainer {
  readonly engine: string;
  forward(batch: EncodedBatch, options?: TransformerPassOptions): Promise<TransformerTrainingPass>;
}

function inputs(batch: EncodedBatch) {
  const dims: [number, number] = [batch.batchSize, batch.length];
  return {
    inputIds: tf.tensor2d(batch.inputIds, dims, 'int32'),
    attentionMask: tf.tensor2d(batch.attentionMask, dims, 'int32'),
    tokenTypeIds: batch.tokenTypeIds ? tf.tensor2d(batch.tokenTypeIds, dims, 'int32') : undefined,
  };
}

/**
 * The tfjs `BertModel` behind both interfaces. Its backward pass recomputes the forward pass under tfjs's tape
 * with the same dropout seed (so the masks are the same) and differentiates it against `dHidden`.
 */
export class TfjsTransformer implements TokenEmbeddingBackend, TokenEmbeddingTrainer {
  readonly engine = 'tfjs';

  constructor(readonly bert: BertModel) {}

  async lastHiddenState(batch: EncodedBatch): Promise<Float32Array> {
    const hidden = tf.tidy(() => this.bert.forward(inputs(batch)));
    const out = new Float32Array(readFloat32(hidden));
    hidden.dispose();
    return out;
  }

  async forward(batch: EncodedBatch, options: TransformerPassOptions = {}): Promise<TransformerTrainingPass> {
    const training = options.training ?? false;
    let seed = options.seed;
    if (training && seed === undefined) {
      seed = this.bert.rngState;
      this.bert.rngState = seed + 1;
    }
    const pass = { training, seed, dropoutRate: options.dropoutRate };
    const run = () => tf.tidy(() => this.bert.forward(inputs(batch), pass));
    const hidden = run();
    const values = new Float32Array(readFloat32(hidden));
    hidden.dispose();
    const vars = this.bert.namedVariables().filter((v) => v.variable.trainable);
    return {
      hidden: values,
      backward: async (dHidden, into) => {
        if (dHidden.length !== values.length)
          throw new Error(
            `TfjsTransformer.backward: dHidden has ${dHidden.length} values, expected ${values.length}`,
          );
        const dy = tf.tensor3d(dHidden, [batch.batchSize, batch.length, this.bert.config.hidden_size]);
        const { value, grads } = tf.engine().gradients(
          run,
          vars.map((v) => v.variable),
          dy,
          true,
        );
        value.dispose();
        dy.dispose();
        vars.forEach((v, i) => {
          const g = grads[i];
          if (!g) return;
          const data = readFloat32(g);
          const prev = into.get(v.name);
          if (prev) for (let k = 0; k < prev.length; k++) prev[k] = (prev[k] ?? 0) + (data[k] ?? 0);
          else into.set(v.name, new Float32Array(data));
          g.dispose();
        });
      },
    };
  }
}
