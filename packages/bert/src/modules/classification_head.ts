import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { mixSeed, mulberry32, normalSamples } from '@contrastive/core';
import {
  type NamedVariable,
  type SafetensorsTensor,
  type TensorToWrite,
  dropout,
  linear,
  readSafetensors,
  tf,
  writeSafetensors,
} from '@contrastive/tensor-gpu';
import { int } from '../onnx/graph_builder.js';
import type { Features, HeadModule, OnnxModuleWriter } from './module.js';

/** Hugging Face names of the head's weights in a `BertForSequenceClassification` checkpoint. */
export const CLASSIFICATION_HEAD_WEIGHTS = {
  poolerWeight: 'bert.pooler.dense.weight',
  poolerBias: 'bert.pooler.dense.bias',
  classifierWeight: 'classifier.weight',
  classifierBias: 'classifier.bias',
} as const;

export interface HeadForwardOptions {
  /** Dropout on the pooled output (training), as BertForSequenceClassification. */
  training?: boolean;
  seed?: number;
  dropoutRate?: number;
}

/**
 * Hugging Face `BertForSequenceClassification`'s head on the transformer's token embeddings:
 * `logits = classifier(dropout(tanh(pooler(h_CLS))))`. Runs after any backend (tfjs, onnxruntime inference and
 * training), and writes itself into the fused ONNX inference graph. Its output is the logits `[B, numLabels]`
 * (in `Features.sentenceEmbedding`, the slot the encoder reads).
 */
export class ClassificationHead implements HeadModule {
  readonly type = 'transformers.BertForSequenceClassification';
  readonly folderName = 'Classifier';
  private dropoutCounter = 0;

  constructor(
    /** `[hidden, hidden]` in `[in, out]` layout, and `[hidden]`. */
    readonly pooler: { weight: tf.Variable; bias: tf.Variable },
    /** `[hidden, numLabels]` in `[in, out]` layout, and `[numLabels]`. */
    readonly classifier: { weight: tf.Variable; bias: tf.Variable },
    /** classifier_dropout ?? hidden_dropout_prob of the config. */
    readonly dropoutProb = 0.1,
  ) {}

  get hiddenSize(): number {
    return this.pooler.weight.shape[0]!;
  }

  get numLabels(): number {
    return this.classifier.weight.shape[1]!;
  }

  /**
   * The head's weights from a checkpoint's tensors (`bert.pooler.dense.*`, `classifier.*`; `pooler.dense.*`
   * without prefix too). Missing ones are initialized as Hugging Face does (normal(0, initializerRange), zero
   * bias) and named in `initialized` (a plain BERT checkpoint becomes a new cross-encoder).
   */
  static fromTensors(
    tensors: Map<string, SafetensorsTensor>,
    shape: { hiddenSize: number; numLabels: number; initializerRange: number; dropoutProb: number },
    file: string,
    seed = 42,
  ): { head: ClassificationHead; initialized: string[] } {
    const { hiddenSize: h, numLabels: n } = shape;
    const rand = mulberry32(seed);
    const initialized: string[] = [];
    const take = (names: string[], torchShape: number[], isBias: boolean): Float32Array => {
      const t = names.map((k) => tensors.get(k)).find((v) => v !== undefined);
      const size = torchShape.reduce((a, d) => a * d, 1);
      if (!t) {
        initialized.push(names[0]!);
        return isBias ? new Float32Array(size) : normalSamples(size, shape.initializerRange, rand);
      }
      if (t.shape.length !== torchShape.length || t.shape.some((d, i) => d !== torchShape[i]))
        throw new Error(
          `${file}: weight "${names[0]}" has shape [${t.shape}], config.json implies [${torchShape}] (num_labels ${n}, hidden_size ${h})`,
        );
      if (!(t.data instanceof Float32Array))
        throw new Error(`${file}: weight "${names[0]}" is ${t.dtype}, expected a float type`);
      return t.data;
    };
    const W = CLASSIFICATION_HEAD_WEIGHTS;
    const pw = take([W.poolerWeight, 'pooler.dense.weight'], [h, h], false);
    const pb = take([W.poolerBias, 'pooler.dense.bias'], [h], true);
    const cw = take([W.classifierWeight], [n, h], false);
    const cb = take([W.classifierBias], [n], true);
    const inOut = (data: Float32Array, out: number, inF: number) =>
      tf.tidy(() => tf.variable(tf.transpose(tf.tensor2d(data, [out, inF])), true));
    const head = new ClassificationHead(
      { weight: inOut(pw, h, h), bias: tf.variable(tf.tensor1d(pb), true) },
      { weight: inOut(cw, n, h), bias: tf.variable(tf.tensor1d(cb), true) },
      shape.dropoutProb,
    );
    return { head, initialized };
  }

  outputDimension(inputDimension: number): number {
    if (inputDimension !== this.hiddenSize)
      throw new Error(
        `ClassificationHead takes ${this.hiddenSize} features, the transformer gives ${inputDimension}`,
      );
    return this.numLabels;
  }

  /** Logits `[B, numLabels]` from the last hidden state `[B, L, H]` (differentiable, under the caller's tape). */
  logits(hidden: tf.Tensor3D, options: HeadForwardOptions = {}): tf.Tensor2D {
    const rate = options.training ? (options.dropoutRate ?? this.dropoutProb) : 0;
    const seed = rate > 0 ? mixSeed(options.seed ?? this.dropoutCounter++, 0x636c73) /* "cls" */ : 0;
    return tf.tidy(() => {
      const [b, , h] = hidden.shape;
      const cls = tf.reshape(tf.slice(hidden, [0, 0, 0], [b, 1, h]), [b, h]);
      let pooled: tf.Tensor = tf.tanh(
        linear(cls, this.pooler.weight as tf.Tensor2D, this.pooler.bias as tf.Tensor1D),
      );
      if (rate > 0) pooled = dropout(pooled, rate, seed);
      return linear(
        pooled,
        this.classifier.weight as tf.Tensor2D,
        this.classifier.bias as tf.Tensor1D,
      ) as tf.Tensor2D;
    });
  }

  forward(f: Features): Features {
    return { ...f, sentenceEmbedding: this.logits(f.tokenEmbeddings) };
  }

  namedVariables(): NamedVariable[] {
    return [
      { name: 'pooler.dense.weight', variable: this.pooler.weight },
      { name: 'pooler.dense.bias', variable: this.pooler.bias },
      { name: 'classifier.weight', variable: this.classifier.weight },
      { name: 'classifier.bias', variable: this.classifier.bias },
    ];
  }

  /** The head's weights in PyTorch layout under BertForSequenceClassification's names. */
  async exportWeights(): Promise<Record<string, TensorToWrite>> {
    const W = CLASSIFICATION_HEAD_WEIGHTS;
    const torch = async (v: tf.Variable) => {
      const t = tf.transpose(v);
      const data = new Float32Array((await t.data()) as Float32Array);
      t.dispose();
      return { shape: [...t.shape], data };
    };
    const plain = async (v: tf.Variable) => ({
      shape: [...v.shape],
      data: new Float32Array((await v.data()) as Float32Array),
    });
    return {
      [W.poolerWeight]: await torch(this.pooler.weight),
      [W.poolerBias]: await plain(this.pooler.bias),
      [W.classifierWeight]: await torch(this.classifier.weight),
      [W.classifierBias]: await plain(this.classifier.bias),
    };
  }

  /** Writes the head's weights alone as `model.safetensors` (Hugging Face names), e.g. for inspection. */
  async save(dir: string): Promise<void> {
    writeSafetensors(join(dir, 'model.safetensors'), await this.exportWeights(), { format: 'pt' });
  }

  /** Replaces the weights with those of `dir/model.safetensors` (a head file or a whole checkpoint). */
  loadWeights(dir: string): void {
    const file = join(dir, 'model.safetensors');
    if (!existsSync(file)) throw new Error(`${file}: classification head weights not found`);
    this.loadFromTensors(readSafetensors(file).tensors, file);
  }

  /** Replaces the weights from checkpoint tensors; every head weight must be present with its shape. */
  loadFromTensors(tensors: Map<string, SafetensorsTensor>, file: string): void {
    const { head, initialized } = ClassificationHead.fromTensors(
      tensors,
      { hiddenSize: this.hiddenSize, numLabels: this.numLabels, initializerRange: 0, dropoutProb: 0 },
      file,
    );
    try {
      if (initialized.length)
        throw new Error(
          `${file}: missing weight${initialized.length > 1 ? 's' : ''} ${initialized.join(', ')}`,
        );
      this.pooler.weight.assign(head.pooler.weight);
      this.pooler.bias.assign(head.pooler.bias);
      this.classifier.weight.assign(head.classifier.weight);
      this.classifier.bias.assign(head.classifier.bias);
    } finally {
      head.dispose();
    }
  }

  onnx(): OnnxModuleWriter {
    return (g, x) => {
      if (x.dimension !== this.hiddenSize)
        throw new Error(
          `ClassificationHead takes ${this.hiddenSize} features, the graph gives ${x.dimension}`,
        );
      // Copies (dataSync): the graph keeps them after this call returns.
      const init = (name: string, v: tf.Variable) =>
        g.initializer(name, [...v.shape], v.dataSync() as Float32Array);
      const cls = g.op('Gather', [x.tokenEmbeddings, g.constInt64(0)], { axis: int(1) });
      const pooled = g.op('Tanh', [
        g.op('Add', [
          g.op('MatMul', [cls, init('pooler.dense.weight', this.pooler.weight)]),
          init('pooler.dense.bias', this.pooler.bias),
        ]),
      ]);
      const logits = g.op('Add', [
        g.op('MatMul', [pooled, init('classifier.weight', this.classifier.weight)]),
        init('classifier.bias', this.classifier.bias),
      ]);
      return { ...x, sentenceEmbedding: logits, dimension: this.numLabels };
    };
  }

  describe(): string {
    return `BertForSequenceClassification head (pooler tanh ${this.hiddenSize} → classifier ${this.numLabels} label${this.numLabels === 1 ? '' : 's'})`;
  }

  dispose(): void {
    tf.dispose([this.pooler.weight, this.pooler.bias, this.classifier.weight, this.classifier.bias]);
  }
}
