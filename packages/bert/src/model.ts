import { mulberry32, normalSamples } from '@contrastive/core';
import {
  type NamedVariable,
  type SafetensorsTensor,
  type TensorToWrite,
  dropout,
  gelu,
  geluTanh,
  layerNorm,
  linear,
  tf,
} from '@contrastive/tensor-gpu';
import { type BertConfig, hasCrossAttention, isDecoderConfig } from './config.js';
import { type ParamSpec, bertParamSpecs, selectBertWeights } from './weights.js';

export interface BertForwardOptions {
  /** Dropout on (training) or off (inference, the default). */
  training?: boolean;
  /** Seed for this pass's dropout masks; when absent the model's own counter advances. */
  seed?: number;
  /** Dropout override for this pass (hidden and attention), e.g. SimCSE's or a `--dropout` flag. */
  dropoutRate?: number;
  /**
   * A decoder's (`add_cross_attention`) cross-attention keys and values: encoder states `[B, Lk, hidden]`
   * (TSDAE: the sentence embedding as one state). Without them a decoder's layers skip cross-attention, as
   * Hugging Face's do.
   */
  encoderHiddenStates?: tf.Tensor3D;
  /** Which encoder states are real (1) or padding (0), `[B, Lk]`; default all real. */
  encoderAttentionMask?: tf.Tensor2D;
}

export interface BertInputs {
  inputIds: tf.Tensor2D;
  attentionMask: tf.Tensor2D;
  tokenTypeIds?: tf.Tensor2D;
}

interface Param {
  spec: ParamSpec;
  variable: tf.Variable;
}

/**
 * Hugging Face `BertModel` (post-LayerNorm BERT with absolute positions) on tfjs. Parameters keep their
 * Hugging Face names; Linear weights live transposed ([in, out]) so every dense layer is a plain matmul.
 */
export class BertModel {
  readonly config: BertConfig;
  private readonly params = new Map<string, Param>();
  /** Parameters that are another model's variables (a decoder tied to its encoder): used, never disposed here. */
  private readonly tied = new Set<string>();
  private dropoutCounter = 0;

  private constructor(config: BertConfig) {
    if (hasCrossAttention(config) && !isDecoderConfig(config))
      throw new Error('BertModel: add_cross_attention needs is_decoder (cross-attention is a decoder layer)');
    this.config = config;
  }

  /** Builds a model from checkpoint tensors (any of the accepted spellings); `file` names the source in errors. */
  static fromTensors(
    config: BertConfig,
    tensors: Map<string, SafetensorsTensor>,
    file = 'model.safetensors',
  ): BertModel {
    const model = new BertModel(config);
    const specs = bertParamSpecs(config);
    const weights = selectBertWeights(specs, tensors, file);
    for (const spec of specs) {
      const t = weights.get(spec.name);
      if (!t) continue;
      model.addParam(spec, t.data as Float32Array);
    }
    return model;
  }

  /**
   * A randomly initialized model as Hugging Face initializes BERT: normal(0, initializer_range) weights and
   * embeddings (padding row zero), zero biases, LayerNorm weight 1. `pooler: false` leaves the pooler out (a
   * cross-encoder's head owns its own).
   */
  static random(config: BertConfig, seed = 42, options: { pooler?: boolean } = {}): BertModel {
    const model = new BertModel(config);
    const rand = mulberry32(seed);
    for (const spec of bertParamSpecs(config)) {
      if (options.pooler === false && spec.name.startsWith('pooler.')) continue;
      model.addParam(spec, initialValues(spec, config, rand));
    }
    return model;
  }

  /**
   * A decoder of `encoder`'s shape (Hugging Face `is_decoder` + `add_cross_attention`, no pooler, as
   * BertLMHeadModel's): causal self-attention, then cross-attention over encoder states in every layer.
   * `tie` (TSDAE's default, `tie_encoder_decoder`): every weight the two have in common is the encoder's own
   * variable — one weight, two uses, so its gradient is the sum of both — and only `crossattention.*` is new
   * (initialized as Hugging Face does, from `seed`). Without `tie` the shared part is a copy of the encoder's
   * current values.
   */
  static decoderFor(encoder: BertModel, options: { tie?: boolean; seed?: number } = {}): BertModel {
    const config: BertConfig = {
      ...encoder.config,
      extra: { ...encoder.config.extra, is_decoder: true, add_cross_attention: true },
    };
    const model = new BertModel(config);
    const rand = mulberry32(options.seed ?? 42);
    for (const spec of bertParamSpecs(config)) {
      if (spec.name.startsWith('pooler.')) continue;
      const shared = encoder.params.get(spec.name);
      if (!shared) {
        model.addParam(spec, initialValues(spec, config, rand));
      } else if (options.tie ?? true) {
        model.params.set(spec.name, shared);
        model.tied.add(spec.name);
      } else {
        const copy = tf.tensor(shared.variable.dataSync() as Float32Array, shared.variable.shape, 'float32');
        model.params.set(spec.name, { spec, variable: tf.variable(copy, true) });
        copy.dispose();
      }
    }
    return model;
  }

  private addParam(spec: ParamSpec, torchLayout: Float32Array): void {
    let t = tf.tensor(torchLayout, spec.shape, 'float32');
    if (spec.linear) {
      const tt = tf.transpose(t);
      t.dispose();
      t = tt;
    }
    const variable = tf.variable(t, true); // tfjs variable names are process-global: let it number them
    t.dispose();
    this.params.set(spec.name, { spec, variable });
  }

  private w(name: string): tf.Variable {
    const p = this.params.get(name);
    if (!p) throw new Error(`BertModel: no parameter "${name}"`);
    return p.variable;
  }

  /** Trainable parameters with their Hugging Face names (a tied decoder's include the encoder's it uses). */
  namedVariables(): NamedVariable[] {
    return [...this.params.values()].map((p) => ({ name: p.spec.name, variable: p.variable }));
  }

  /** The parameters this model owns: all of them, except the encoder's that a tied decoder uses. */
  ownVariables(): NamedVariable[] {
    return this.namedVariables().filter((v) => !this.tied.has(v.name));
  }

  /** Whether parameter `name` is another model's variable (a tied decoder's shared weights). */
  isTied(name: string): boolean {
    return this.tied.has(name);
  }

  /** Weights in PyTorch layout under their Hugging Face names, ready for `model.safetensors`. */
  async exportWeights(prefix = ''): Promise<Record<string, TensorToWrite>> {
    const out: Record<string, TensorToWrite> = {};
    for (const { spec, variable } of this.params.values()) {
      const t = spec.linear ? tf.transpose(variable) : variable;
      const data = (await t.data()) as Float32Array;
      if (t !== variable) t.dispose();
      out[prefix + spec.name] = { shape: spec.shape, data: new Float32Array(data) };
    }
    return out;
  }

  /** Replaces every weight's values (same names and shapes), e.g. from a checkpoint. */
  loadWeights(tensors: Map<string, SafetensorsTensor>, file: string): void {
    const weights = selectBertWeights(bertParamSpecs(this.config), tensors, file);
    for (const [name, t] of weights) {
      const p = this.params.get(name);
      if (!p) continue;
      tf.tidy(() => {
        const v = tf.tensor(t.data as Float32Array, p.spec.shape, 'float32');
        p.variable.assign(p.spec.linear ? tf.transpose(v) : v);
      });
    }
  }

  /** Dropout counter: part of the RNG state a checkpoint must restore. */
  get rngState(): number {
    return this.dropoutCounter;
  }

  set rngState(v: number) {
    this.dropoutCounter = v;
  }

  /** Token embeddings `[B, L, hidden]` (last hidden state). */
  forward(inputs: BertInputs, options: BertForwardOptions = {}): tf.Tensor3D {
    const c = this.config;
    const training = options.training ?? false;
    const hiddenRate = training ? (options.dropoutRate ?? c.hidden_dropout_prob) : 0;
    const attnRate = training ? (options.dropoutRate ?? c.attention_probs_dropout_prob) : 0;
    const base = options.seed ?? (training ? this.dropoutCounter++ : 0);
    let call = 0;
    // Distinct, reproducible seeds for every dropout site of this pass.
    const nextSeed = () => (Math.imul(base + 1, 0x9e3779b1) ^ Math.imul(++call, 0x85ebca77)) >>> 0;
    const drop = (x: tf.Tensor, rate: number) => (rate > 0 ? dropout(x, rate, nextSeed()) : x);

    return tf.tidy(() => {
      const [b, len] = inputs.inputIds.shape;
      if (len > c.max_position_embeddings) {
        throw new Error(
          `BertModel: sequence length ${len} exceeds max_position_embeddings ${c.max_position_embeddings}`,
        );
      }
      const h = c.hidden_size;
      const heads = c.num_attention_heads;
      const d = h / heads;
      const ids = tf.reshape(inputs.inputIds, [-1]);
      const words = tf.gather(this.w('embeddings.word_embeddings.weight'), tf.cast(ids, 'int32'));
      const positions = tf.gather(
        this.w('embeddings.position_embeddings.weight'),
        tf.range(0, len, 1, 'int32'),
      );
      const types = inputs.tokenTypeIds
        ? tf.gather(
            this.w('embeddings.token_type_embeddings.weight'),
            tf.cast(tf.reshape(inputs.tokenTypeIds, [-1]), 'int32'),
          )
        : tf.slice(this.w('embeddings.token_type_embeddings.weight'), [0, 0], [1, h]);
      let x: tf.Tensor = tf.add(tf.reshape(tf.add(words, types), [b, len, h]), tf.expandDims(positions, 0));
      x = layerNorm(
        x,
        this.w('embeddings.LayerNorm.weight') as tf.Tensor1D,
        this.w('embeddings.LayerNorm.bias') as tf.Tensor1D,
        c.layer_norm_eps,
      );
      x = drop(x, hiddenRate);

      // Additive mask [B, 1, 1, L]: 0 for tokens, a large negative for padding (Hugging Face uses dtype min).
      const additive = (mask: tf.Tensor2D, n: number) =>
        tf.reshape(tf.mul(tf.sub(1, tf.cast(mask, 'float32')), -1e9), [b, 1, 1, n]);
      let maskAdd: tf.Tensor = additive(inputs.attentionMask, len);
      // A decoder's self-attention is causal: position i sees positions ≤ i ([1, 1, L, L] added to the padding mask).
      if (isDecoderConfig(c)) {
        const lower = tf.linalg.bandPart(tf.ones([len, len]), -1, 0);
        maskAdd = tf.add(maskAdd, tf.reshape(tf.mul(tf.sub(1, lower), -1e9), [1, 1, len, len]));
      }
      const encoderStates = hasCrossAttention(c) ? options.encoderHiddenStates : undefined;
      if (options.encoderHiddenStates && !hasCrossAttention(c))
        throw new Error('BertModel: encoderHiddenStates given, but this model has no cross-attention');
      let crossMaskAdd: tf.Tensor | undefined;
      let kvLen = 0;
      if (encoderStates) {
        const [eb, el, eh] = encoderStates.shape;
        if (eb !== b || eh !== c.hidden_size)
          throw new Error(
            `BertModel: encoderHiddenStates is [${encoderStates.shape}], cross-attention needs [${b}, *, ${c.hidden_size}]`,
          );
        kvLen = el;
        crossMaskAdd = options.encoderAttentionMask
          ? additive(options.encoderAttentionMask, el)
          : tf.zeros([b, 1, 1, el]);
      }
      const scale = 1 / Math.sqrt(d);
      const act =
        c.hidden_act === 'gelu' ? gelu : c.hidden_act === 'relu' ? (t: tf.Tensor) => tf.relu(t) : geluTanh;
      const lin = (t: tf.Tensor, name: string) =>
        linear(t, this.w(`${name}.weight`) as tf.Tensor2D, this.w(`${name}.bias`) as tf.Tensor1D);
      const ln = (t: tf.Tensor, name: string) =>
        layerNorm(
          t,
          this.w(`${name}.weight`) as tf.Tensor1D,
          this.w(`${name}.bias`) as tf.Tensor1D,
          c.layer_norm_eps,
        );
      const splitHeads = (t: tf.Tensor, n: number) =>
        tf.transpose(tf.reshape(t, [b, n, heads, d]), [0, 2, 1, 3]);
      // BertAttention (`attention` or a decoder's `crossattention`): queries from `x`, keys and values from
      // `states` (`x` itself for self-attention), then output dense + residual + LayerNorm.
      const attention = (block: string, x: tf.Tensor, states: tf.Tensor, n: number, mask: tf.Tensor) => {
        const q = splitHeads(lin(x, `${block}.self.query`), len);
        // Keys are transposed once here so the score matmul needs no transpose flag (slow on wasm).
        const kT = tf.transpose(tf.reshape(lin(states, `${block}.self.key`), [b, n, heads, d]), [0, 2, 3, 1]);
        const v = splitHeads(lin(states, `${block}.self.value`), n);
        const scores = tf.add(tf.mul(tf.matMul(q, kT), scale), mask);
        const probs = drop(tf.softmax(scores), attnRate);
        const ctx = tf.reshape(tf.transpose(tf.matMul(probs, v), [0, 2, 1, 3]), [b, len, h]);
        return ln(
          tf.add(drop(lin(ctx, `${block}.output.dense`), hiddenRate), x),
          `${block}.output.LayerNorm`,
        );
      };

      for (let i = 0; i < c.num_hidden_layers; i++) {
        const p = `encoder.layer.${i}`;
        const input = x;
        // One scope per layer: its intermediates are freed as soon as the layer is done (the gradient tape
        // keeps its own copies of what backprop needs), so memory does not grow with depth × batch.
        x = tf.tidy(() => {
          let attnOut = attention(`${p}.attention`, input, input, len, maskAdd);
          if (encoderStates && crossMaskAdd)
            attnOut = attention(`${p}.crossattention`, attnOut, encoderStates, kvLen, crossMaskAdd);
          const inter = act(lin(attnOut, `${p}.intermediate.dense`));
          return ln(
            tf.add(drop(lin(inter, `${p}.output.dense`), hiddenRate), attnOut),
            `${p}.output.LayerNorm`,
          );
        });
        if (i > 0) input.dispose();
      }
      return x as tf.Tensor3D;
    });
  }

  /** BERT's pooler: tanh(W·h_CLS + b), used by classification heads (not by sentence embeddings). */
  pooler(hidden: tf.Tensor3D): tf.Tensor2D {
    return tf.tidy(() => {
      const [b, , h] = hidden.shape;
      const cls = tf.reshape(tf.slice(hidden, [0, 0, 0], [b, 1, h]), [b, h]);
      return tf.tanh(
        linear(cls, this.w('pooler.dense.weight') as tf.Tensor2D, this.w('pooler.dense.bias') as tf.Tensor1D),
      ) as tf.Tensor2D;
    });
  }

  hasPooler(): boolean {
    return this.params.has('pooler.dense.weight');
  }

  dispose(): void {
    for (const [name, p] of this.params) if (!this.tied.has(name)) p.variable.dispose();
    this.params.clear();
    this.tied.clear();
  }
}

/** Hugging Face's initialization of one parameter: normal(0, initializer_range), padding row and biases 0, LayerNorm 1. */
function initialValues(spec: ParamSpec, config: BertConfig, rand: () => number): Float32Array {
  const n = spec.shape.reduce((a, d) => a * d, 1);
  if (spec.name.endsWith('LayerNorm.weight')) return new Float32Array(n).fill(1);
  if (spec.name.endsWith('.bias')) return new Float32Array(n);
  const data = normalSamples(n, config.initializer_range, rand);
  if (spec.name === 'embeddings.word_embeddings.weight') {
    const h = config.hidden_size;
    data.fill(0, config.pad_token_id * h, (config.pad_token_id + 1) * h);
  }
  return data;
}
