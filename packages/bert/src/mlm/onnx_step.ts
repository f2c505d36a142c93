import { type EngineDevice, type NamedVariable, tf } from '@contrastive/tensor-gpu';
import type { BertModel } from '../model.js';
import {
  OnnxBertTrainer,
  type TrainingActivations,
  type WeightSnapshot,
} from '../onnx/training/internal/bert_engine.js';
import type { MaskedBatch } from './masking.js';

/** The word-embedding matrix: the input lookup and, tied, the decoder. */
export const WORD_EMBEDDINGS = 'embeddings.word_embeddings.weight';

/** What the engine needs of a masked-LM model (BertForMaskedLM fits it). */
export interface MaskedLmParts {
  readonly bert: BertModel;
  maskTexts(texts: string[], seed: number): MaskedBatch;
  maskSeed(seed: number | undefined): number;
  rowLosses(hidden: tf.Tensor3D, labels: Int32Array): tf.Tensor2D;
  headVariables(): NamedVariable[];
}

/**
 * BertForMaskedLM's training passes with BERT on onnxruntime-node (forward, and backward of dLastHidden) and the
 * prediction head on tfjs over the last hidden state. The tied word embeddings get both gradients: the lookup's
 * (from the native backward) plus the decoder's (from tfjs).
 */
export class MlmOnnxEngine {
  private constructor(
    readonly model: MaskedLmParts,
    private readonly trainer: OnnxBertTrainer,
  ) {}

  static async create(
    model: MaskedLmParts,
    options: { threads?: number; device?: EngineDevice } = {},
  ): Promise<MlmOnnxEngine> {
    return new MlmOnnxEngine(model, await OnnxBertTrainer.create(model.bert, options));
  }

  /** One step; fits @contrastive/losses' `ExternalTrainingStep` (embeddings are the `[Σ CE, count]` rows). */
  beginStep(): MlmTrainingStep {
    return new MlmTrainingStep(this.model, this.trainer, this.trainer.snapshotWeights());
  }

  async release(): Promise<void> {
    await this.trainer.release();
  }
}

interface Call {
  activations: TrainingActivations;
  hidden: tf.Tensor3D;
  labels: Int32Array;
}

export class MlmTrainingStep {
  readonly dimension = 2;
  private readonly calls: Call[] = [];
  private readonly bertGrads = new Map<string, Float32Array>();
  private readonly headGrads = new Map<string, tf.Tensor>();
  private readonly headVariables: NamedVariable[];
  private readonly words: tf.Variable;

  constructor(
    private readonly model: MaskedLmParts,
    private readonly trainer: OnnxBertTrainer,
    private readonly weights: WeightSnapshot,
  ) {
    this.headVariables = model.headVariables().filter((v) => v.variable.trainable);
    this.words = model.bert.namedVariables().find((v) => v.name === WORD_EMBEDDINGS)!.variable;
  }

  async embed(
    texts: string[],
    options: { training?: boolean; seed?: number; dropoutRate?: number } = {},
  ): Promise<tf.Tensor2D> {
    if (texts.length === 0) throw new Error('embed: empty batch');
    const { batch, labels } = this.model.maskTexts(texts, this.model.maskSeed(options.seed));
    const activations = await this.trainer.forward(batch, this.weights, options);
    const h = this.model.bert.config.hidden_size;
    const hidden = tf.tensor3d(activations.hidden, [batch.batchSize, batch.length, h]);
    this.calls.push({ activations, hidden, labels });
    return this.model.rowLosses(hidden, labels);
  }

  async backward(index: number, dRows: tf.Tensor2D): Promise<void> {
    const call = this.calls[index];
    if (!call) throw new Error(`MlmTrainingStep.backward: no embed call ${index}`);
    const head = this.headVariables;
    const xs = [call.hidden, ...head.map((v) => v.variable), this.words];
    const { value, grads } = tf
      .engine()
      .gradients(() => this.model.rowLosses(call.hidden, call.labels), xs, dRows, true);
    value.dispose();
    const dHidden = grads[0] ? (grads[0].dataSync() as Float32Array) : new Float32Array(call.hidden.size);
    head.forEach((v, i) => this.addHead(v.name, grads[i + 1]));
    // The decoder's use of the tied weight, added to what the lookup's backward adds below.
    const dWords = grads[grads.length - 1];
    if (dWords) addInto(this.bertGrads, WORD_EMBEDDINGS, dWords.dataSync() as Float32Array);
    tf.dispose([grads[0], dWords].filter((g): g is tf.Tensor => g !== undefined && g !== null));
    await this.trainer.backward(call.activations, dHidden, this.weights, this.bertGrads);
  }

  private addHead(name: string, g: tf.Tensor | null | undefined): void {
    if (!g) return;
    const prev = this.headGrads.get(name);
    if (!prev) {
      this.headGrads.set(name, g);
      return;
    }
    this.headGrads.set(name, tf.add(prev, g));
    tf.dispose([prev, g]);
  }

  /** Summed gradients by parameter name; the caller owns them. */
  gradients(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    for (const { name, variable } of this.model.bert.namedVariables()) {
      const g = this.bertGrads.get(name);
      if (g) out.set(name, tf.tensor(g, variable.shape, 'float32'));
    }
    this.bertGrads.clear();
    for (const [name, g] of this.headGrads) out.set(name, g);
    this.headGrads.clear();
    return out;
  }

  dispose(): void {
    tf.dispose(this.calls.map((c) => c.hidden));
    this.calls.length = 0;
    this.bertGrads.clear();
    tf.dispose([...this.headGrads.values()]);
    this.headGrads.clear();
  }
}

function addInto(into: Map<string, Float32Array>, name: string, values: Float32Array): void {
  const prev = into.get(name);
  if (!prev) {
    into.set(name, new Float32Array(values));
    return;
  }
  for (let i = 0; i < values.length; i++) prev[i] = prev[i]! + values[i]!;
}
