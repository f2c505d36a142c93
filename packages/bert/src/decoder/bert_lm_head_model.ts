import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { mixSeed } from '@contrastive/core';
import { type NamedVariable, type SafetensorsTensor, readSafetensors, tf } from '@contrastive/tensor-gpu';
import {
  type HeadKey,
  MLM_HEAD_NAMES,
  type PredictionHead,
  headFromTensors,
  predictionHeadLogits,
} from '../mlm/prediction_head.js';
import { type BertForwardOptions, BertModel } from '../model.js';
import type { SentenceTokenizer } from '../tokenizer.js';

const WORD_EMBEDDINGS = 'embeddings.word_embeddings.weight';

/** What a decoder is built from: an encoder's transformer and tokenizer (SentenceEncoder fits it). */
export interface DecoderSource {
  readonly bert: BertModel;
  readonly tokenizer: SentenceTokenizer;
  readonly maxSeqLength: number;
  /** Where the encoder came from: its `model.safetensors` may carry a `cls.predictions` head to start from. */
  readonly sourceDir?: string | undefined;
}

export interface DecoderOptions {
  /**
   * Share every weight the decoder has in common with the encoder (sentence-transformers'
   * `tie_encoder_decoder`, default true); false: the decoder starts as a copy of the encoder.
   */
  tieEncoderDecoder?: boolean;
  /** Seed of the new weights (cross-attention, and the LM head when the source has none). Default 42. */
  seed?: number;
}

/** Options of one decoding pass: dropout on/off, its seed and rate (as an encoder call's). */
export interface DecodeOptions {
  training?: boolean;
  seed?: number;
  dropoutRate?: number;
}

/**
 * Hugging Face `BertLMHeadModel` as TSDAE's decoder: a BERT with `is_decoder` (causal self-attention) and
 * `add_cross_attention` (every layer attends to the encoder's states: here the sentence embedding, one state),
 * then the LM prediction head (`cls.predictions.*`, its decoder matrix tied to the word embeddings). Names are
 * Hugging Face's (`bert.encoder.layer.0.crossattention.self.query.weight`, `cls.predictions.bias`, …).
 *
 * Built from an encoder: tied (the default, as sentence-transformers' DenoisingAutoEncoderLoss), the decoder's
 * embeddings and self-attention/feed-forward weights ARE the encoder's variables, and only the cross-attention
 * and the LM head are its own. It runs on tfjs whatever engine runs the encoder; it is training-only (never
 * saved with the encoder).
 */
export class BertLMHeadModel {
  readonly bert: BertModel;
  readonly tokenizer: SentenceTokenizer;
  readonly maxSeqLength: number;
  readonly tied: boolean;
  /** Whether the LM head came from the source's checkpoint or was initialized here. */
  readonly headSource: 'checkpoint' | 'random';
  private readonly head: PredictionHead;

  private constructor(init: {
    bert: BertModel;
    tokenizer: SentenceTokenizer;
    maxSeqLength: number;
    tied: boolean;
    head: PredictionHead;
    headSource: 'checkpoint' | 'random';
  }) {
    this.bert = init.bert;
    this.tokenizer = init.tokenizer;
    this.maxSeqLength = init.maxSeqLength;
    this.tied = init.tied;
    this.head = init.head;
    this.headSource = init.headSource;
  }

  /**
   * TSDAE's decoder for `encoder` (sentence-transformers builds it from the encoder's checkpoint with
   * `is_decoder` and `add_cross_attention` set): cross-attention initialized as Hugging Face does, the LM head
   * from the encoder's `model.safetensors` when it stores one (a BertForMaskedLM checkpoint), else initialized.
   */
  static fromEncoder(encoder: DecoderSource, options: DecoderOptions = {}): BertLMHeadModel {
    const tie = options.tieEncoderDecoder ?? true;
    const seed = options.seed ?? 42;
    const c = encoder.bert.config;
    let tensors = new Map<string, SafetensorsTensor>();
    const file = encoder.sourceDir ? join(encoder.sourceDir, 'model.safetensors') : undefined;
    if (file && existsSync(file)) tensors = readSafetensors(file).tensors;
    const bert = BertModel.decoderFor(encoder.bert, { tie, seed });
    try {
      const { head, source } = headFromTensors(
        tensors,
        c.hidden_size,
        c.vocab_size,
        c.initializer_range,
        file ?? 'model.safetensors',
        mixSeed(seed, 1),
      );
      return new BertLMHeadModel({
        bert,
        tokenizer: encoder.tokenizer,
        maxSeqLength: encoder.maxSeqLength,
        tied: tie,
        head,
        headSource: source,
      });
    } catch (e) {
      bert.dispose();
      throw e;
    }
  }

  /** Every parameter under Hugging Face BertLMHeadModel's names (`bert.…`, `cls.predictions.…`), tied ones included. */
  namedVariables(): NamedVariable[] {
    return [
      ...this.bert.namedVariables().map((v) => ({ name: `bert.${v.name}`, variable: v.variable })),
      ...this.headVariables(),
    ];
  }

  /** The parameters the decoder owns: the cross-attention and the LM head when tied; everything otherwise. */
  ownVariables(): NamedVariable[] {
    return [
      ...this.bert.ownVariables().map((v) => ({ name: `bert.${v.name}`, variable: v.variable })),
      ...this.headVariables(),
    ];
  }

  private headVariables(): NamedVariable[] {
    return (Object.keys(MLM_HEAD_NAMES) as HeadKey[]).map((k) => ({
      name: MLM_HEAD_NAMES[k],
      variable: this.head[k],
    }));
  }

  private wordEmbeddings(): tf.Tensor2D {
    const v = this.bert.namedVariables().find((p) => p.name === WORD_EMBEDDINGS);
    if (!v) throw new Error(`BertLMHeadModel: no ${WORD_EMBEDDINGS}`);
    return v.variable as tf.Tensor2D;
  }

  private checkStates(states: tf.Tensor2D): void {
    const h = this.bert.config.hidden_size;
    if (states.shape[1] !== h)
      throw new Error(
        `BertLMHeadModel: sentence embeddings have ${states.shape[1]} dimensions, the decoder's cross-attention reads hidden size ${h} (a Dense module changing the width cannot feed the tied decoder)`,
      );
  }

  private forwardOptions(sentence: tf.Tensor2D, options: DecodeOptions): BertForwardOptions {
    const [b, h] = sentence.shape;
    const out: BertForwardOptions = {
      training: options.training ?? false,
      // One encoder state per row, always real (sentence-transformers: the source mask's first column).
      encoderHiddenStates: tf.reshape(sentence, [b, 1, h]) as tf.Tensor3D,
    };
    if (options.seed !== undefined) out.seed = options.seed;
    if (options.dropoutRate !== undefined) out.dropoutRate = options.dropoutRate;
    return out;
  }

  /** Logits `[B, L, vocab]` of token rows (teacher forcing) conditioned on one sentence embedding `[B, hidden]` each. */
  logits(rows: number[][], sentence: tf.Tensor2D, options: DecodeOptions = {}): tf.Tensor3D {
    this.checkStates(sentence);
    const batch = this.tokenizer.pad(rows);
    return tf.tidy(() => {
      const dims: [number, number] = [batch.batchSize, batch.length];
      const hidden = this.bert.forward(
        {
          inputIds: tf.tensor2d(batch.inputIds, dims, 'int32'),
          attentionMask: tf.tensor2d(batch.attentionMask, dims, 'int32'),
        },
        this.forwardOptions(sentence, options),
      );
      const flat = tf.reshape(hidden, [-1, this.bert.config.hidden_size]) as tf.Tensor2D;
      const logits = predictionHeadLogits(this.bert.config, this.head, flat, this.wordEmbeddings());
      return tf.reshape(logits, [batch.batchSize, batch.length, -1]) as tf.Tensor3D;
    });
  }

  /**
   * TSDAE's reconstruction loss (sentence-transformers' DenoisingAutoEncoderLoss.forward): `texts` tokenized as
   * the encoder tokenizes them, the decoder reads tokens 0..L−2 (teacher forcing, causal) with cross-attention
   * to `sentence` `[B, hidden]`, and predicts tokens 1..L−1; the mean cross entropy over the vocabulary of every
   * non-padding target (padding is the ignored index). Runs under the caller's tape.
   */
  reconstructionLoss(sentence: tf.Tensor2D, texts: string[], options: DecodeOptions = {}): tf.Scalar {
    this.checkStates(sentence);
    if (sentence.shape[0] !== texts.length)
      throw new Error(
        `BertLMHeadModel: ${sentence.shape[0]} sentence embeddings for ${texts.length} target texts`,
      );
    const batch = this.tokenizer.encodeBatch(texts, this.maxSeqLength);
    const { batchSize: b, length: len } = batch;
    const n = len - 1;
    const inputIds = new Int32Array(b * n);
    const mask = new Int32Array(b * n);
    const positions: number[] = [];
    const targets: number[] = [];
    const pad = this.tokenizer.padId;
    for (let r = 0; r < b; r++) {
      for (let j = 0; j < n; j++) {
        inputIds[r * n + j] = batch.inputIds[r * len + j]!;
        mask[r * n + j] = batch.attentionMask[r * len + j]!;
        const label = batch.inputIds[r * len + j + 1]!;
        if (label === pad) continue;
        positions.push(r * n + j);
        targets.push(label);
      }
    }
    return tf.tidy(() => {
      const hidden = this.bert.forward(
        {
          inputIds: tf.tensor2d(inputIds, [b, n], 'int32'),
          attentionMask: tf.tensor2d(mask, [b, n], 'int32'),
        },
        this.forwardOptions(sentence, options),
      );
      const h = this.bert.config.hidden_size;
      // Only target positions reach the vocabulary projection (the [B·L, vocab] logits would dominate memory).
      const rows = tf.gather(tf.reshape(hidden, [b * n, h]), tf.tensor1d(positions, 'int32')) as tf.Tensor2D;
      const logp = tf.logSoftmax(
        predictionHeadLogits(this.bert.config, this.head, rows, this.wordEmbeddings()),
      );
      const v = logp.shape[1];
      const picked = tf.gather(
        tf.reshape(logp, [-1]),
        tf.tensor1d(
          targets.map((t, m) => m * v + t),
          'int32',
        ),
      );
      return tf.neg(tf.mean(picked)) as tf.Scalar;
    });
  }

  /** Frees the decoder's own weights (a tied decoder leaves the encoder's alone). */
  dispose(): void {
    this.bert.dispose();
    for (const v of Object.values(this.head)) v.dispose();
  }
}
