import type { BertConfig } from '../config.js';
import type { OnnxFeatures, OnnxModuleWriter } from '../modules/module.js';
import { type Dim, GraphBuilder, float, int, ints } from './graph_builder.js';
import { activation as activationNodes, bertActivation } from './ops.js';
import { type ModelMessage, OnnxDataType } from './proto.js';

/** A weight in PyTorch layout (Linear weights `[out, in]`), as `BertModel.exportWeights()` returns them. */
export interface TorchTensor {
  shape: number[];
  data: Float32Array | Int32Array;
}

/**
 * - `contrib`: onnxruntime's com.microsoft fused kernels (`MultiHeadAttention`/`Attention`, `BiasGelu`):
 *   onnxruntime only, the fastest on CPU.
 * - `standard`: plain ONNX operators (opset 17) that any runtime reads; onnxruntime's optimizer fuses some.
 */
export type OnnxOpSet = 'contrib' | 'standard';

export interface BertGraphOptions {
  config: BertConfig;
  /** Hugging Face names, PyTorch layout (`await model.exportWeights()`), or see `weightLayout`. */
  weights: Record<string, TorchTensor>;
  /**
   * `torch` (default): Linear weights `[out, in]`. `in-out`: `[in, out]`, as `BertModel` keeps them in memory,
   * so the graph takes them without transposed copies.
   */
  weightLayout?: 'torch' | 'in-out';
  ops: OnnxOpSet;
  /**
   * `last_hidden_state`: sentence-transformers' ONNX backend layout (inputs input_ids, attention_mask,
   * token_type_ids; output last_hidden_state). `sentence_embedding`: inputs input_ids, attention_mask[,
   * pooling_mask]; output token_embeddings, and sentence_embedding when `head` is given.
   */
  output: 'last_hidden_state' | 'sentence_embedding';
  /**
   * The head modules' ONNX forms (Pooling, Dense, Normalize, …), in order: the fused sentence encoder. With
   * `last_hidden_state` they add a `sentence_embedding` output beside it.
   */
  head?: OnnxModuleWriter[];
  /** Adds an int64 `pooling_mask [batch, sequence]` input that replaces the attention mask for pooling (prompt exclusion). */
  poolingMaskInput?: boolean;
  /**
   * `sentence_embedding` graphs: adds an int64 `token_type_ids [batch, sequence]` input (pairs `[CLS] a [SEP] b
   * [SEP]`, the cross-encoder). Without it every token has type 0. `last_hidden_state` graphs always take it.
   */
  tokenTypeIdsInput?: boolean;
  /**
   * `contrib` sentence graphs only (default true): run the dense layers on real tokens only, not padding, so a
   * batch costs its real token count whatever its lengths.
   */
  removePadding?: boolean;
  producerVersion?: string;
}

const BATCH: Dim = 'batch_size';
const SEQ: Dim = 'sequence_length';
/** Added to the attention scores of padding positions (as the tfjs model). */
const MASK_NEGATIVE = -1e9;

function weight(weights: Record<string, TorchTensor>, name: string, shape: number[]): Float32Array {
  const t = weights[name];
  if (!t) throw new Error(`ONNX export: missing weight "${name}"`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`ONNX export: weight "${name}" has shape [${t.shape}], expected [${shape}]`);
  }
  if (!(t.data instanceof Float32Array)) throw new Error(`ONNX export: weight "${name}" is not float32`);
  return t.data;
}

/**
 * The output projection's bias with the value projection's folded in: `b_o + b_v·W_o` (`wo` as `[in, out]`),
 * summed in double precision.
 */
function valueBiasFolded(wo: Float32Array, bo: Float32Array, bv: Float32Array): Float32Array {
  const h = bo.length;
  const out = new Float32Array(h);
  for (let j = 0; j < h; j++) {
    let sum = bo[j]!;
    for (let i = 0; i < h; i++) sum += bv[i]! * wo[i * h + j]!;
    out[j] = sum;
  }
  return out;
}

/** `[rows, cols]` → `[cols, rows]`. */
function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

/** Builds the ONNX model of a BERT sentence encoder from its weights. */
export function buildBertGraph(options: BertGraphOptions): ModelMessage {
  const c = options.config;
  const W = options.weights;
  const g = new GraphBuilder();
  const h = c.hidden_size;
  const heads = c.num_attention_heads;
  const headSize = h / heads;
  const inter = c.intermediate_size;
  const eps = c.layer_norm_eps;
  const contrib = options.ops === 'contrib';
  const packed = contrib && options.output === 'sentence_embedding' && (options.removePadding ?? true);
  const ms = { domain: 'com.microsoft' };

  const ids = g.input('input_ids', OnnxDataType.INT64, [BATCH, SEQ]);
  const mask = g.input('attention_mask', OnnxDataType.INT64, [BATCH, SEQ]);
  const tokenTypes =
    options.output === 'last_hidden_state' || options.tokenTypeIdsInput
      ? g.input('token_type_ids', OnnxDataType.INT64, [BATCH, SEQ])
      : undefined;
  const poolingMask = options.poolingMaskInput
    ? g.input('pooling_mask', OnnxDataType.INT64, [BATCH, SEQ])
    : mask;

  const inOut = options.weightLayout === 'in-out';
  /** A Linear layer's weight as `[in, out]` (the graph multiplies without a transpose). */
  const inOutWeight = (name: string, out: number, inF: number) =>
    inOut ? weight(W, name, [inF, out]) : transpose(weight(W, name, [out, inF]), out, inF);
  const linearWeight = (name: string, out: number, inF: number) =>
    g.initializer(name, [inF, out], inOutWeight(name, out, inF));
  const vector = (name: string, n: number) => g.initializer(name, [n], weight(W, name, [n]));
  const layerNorm = (x: string, prefix: string) =>
    g.op('LayerNormalization', [x, vector(`${prefix}.weight`, h), vector(`${prefix}.bias`, h)], {
      axis: int(-1),
      epsilon: float(eps),
    });

  // Embeddings. Without token_type_ids every token has type 0: that row is folded into the position table.
  const seqLen = g.op('Shape', [ids], { start: int(1), end: int(2) });
  const wordEmb = g.initializer(
    'embeddings.word_embeddings.weight',
    [c.vocab_size, h],
    weight(W, 'embeddings.word_embeddings.weight', [c.vocab_size, h]),
  );
  const posTable = weight(W, 'embeddings.position_embeddings.weight', [c.max_position_embeddings, h]);
  const typeTable = weight(W, 'embeddings.token_type_embeddings.weight', [c.type_vocab_size, h]);
  const foldedPositions = () => {
    const folded = new Float32Array(posTable);
    for (let p = 0; p < c.max_position_embeddings; p++) {
      for (let j = 0; j < h; j++) folded[p * h + j] = (folded[p * h + j] ?? 0) + (typeTable[j] ?? 0);
    }
    return g.initializer('embeddings.position_plus_type0', [c.max_position_embeddings, h], folded);
  };
  let x: string;
  // Padding removal: every dense layer runs on the real tokens only ([T, H], T = Σ mask); attention gathers
  // them back into [B, S, ·] with `padMap` (padding positions point at token 0 and are masked).
  let tokenIndex = '';
  let padMap = '';
  let shapeBS = '';
  if (packed) {
    const maskFlat = g.op('Reshape', [mask, g.constInt64([-1])]);
    tokenIndex = g.op('Squeeze', [g.op('NonZero', [maskFlat]), g.constInt64([0])]);
    padMap = g.op('Mul', [
      g.op('Sub', [g.op('CumSum', [maskFlat, g.constInt64(0)]), g.constInt64(1)]),
      maskFlat,
    ]);
    shapeBS = g.op('Shape', [ids]);
    const idsPacked = g.op('Gather', [g.op('Reshape', [ids, g.constInt64([-1])]), tokenIndex], {
      axis: int(0),
    });
    const posPacked = g.op('Mod', [tokenIndex, seqLen]);
    const words = g.op('Gather', [wordEmb, idsPacked], { axis: int(0) });
    if (tokenTypes) {
      const typesPacked = g.op('Gather', [g.op('Reshape', [tokenTypes, g.constInt64([-1])]), tokenIndex], {
        axis: int(0),
      });
      x = g.op('Add', [
        g.op('Add', [
          words,
          g.op(
            'Gather',
            [
              g.initializer('embeddings.token_type_embeddings.weight', [c.type_vocab_size, h], typeTable),
              typesPacked,
            ],
            { axis: int(0) },
          ),
        ]),
        g.op(
          'Gather',
          [
            g.initializer('embeddings.position_embeddings.weight', [c.max_position_embeddings, h], posTable),
            posPacked,
          ],
          { axis: int(0) },
        ),
      ]);
    } else {
      x = g.op('Add', [words, g.op('Gather', [foldedPositions(), posPacked], { axis: int(0) })]);
    }
  } else {
    const words = g.op('Gather', [wordEmb, ids], { axis: int(0) });
    if (tokenTypes) {
      const pos = g.op('Slice', [
        g.initializer('embeddings.position_embeddings.weight', [c.max_position_embeddings, h], posTable),
        g.constInt64([0]),
        seqLen,
        g.constInt64([0]),
      ]);
      const types = g.op(
        'Gather',
        [
          g.initializer('embeddings.token_type_embeddings.weight', [c.type_vocab_size, h], typeTable),
          tokenTypes,
        ],
        { axis: int(0) },
      );
      x = g.op('Add', [g.op('Add', [words, types]), pos]);
    } else {
      x = g.op('Add', [
        words,
        g.op('Slice', [foldedPositions(), g.constInt64([0]), seqLen, g.constInt64([0])]),
      ]);
    }
  }
  x = layerNorm(x, 'embeddings.LayerNorm');
  /** Packed [T, n] → padded [B, S, n]. */
  const unpack = (t: string, n: number) =>
    g.op('Reshape', [
      g.op('Gather', [t, padMap], { axis: int(0) }),
      g.op('Concat', [shapeBS, g.constInt64([n])], { axis: int(0) }),
    ]);
  /** Padded [B, S, n] → packed [T, n]. */
  const pack = (t: string, n: number) =>
    g.op('Gather', [g.op('Reshape', [t, g.constInt64([-1, n])]), tokenIndex], { axis: int(0) });

  // Additive attention mask [B, 1, 1, S] for the standard graph; the contrib kernels take the raw int32 mask.
  const maskInt32 = contrib && !packed ? g.op('Cast', [mask], { to: int(OnnxDataType.INT32) }) : undefined;
  // Packed graphs: ONNX's own Attention (opset 23), whose onnxruntime CPU kernel ran short sequences faster than
  // com.microsoft's MultiHeadAttention in our micro-benchmark, with bit-identical results. Its boolean mask is
  // [B, 1, S, S] (no broadcast over query rows): each key position's mask repeated for every query.
  const keyMask = packed
    ? g.op('Expand', [
        g.op('Reshape', [g.op('Cast', [mask], { to: int(OnnxDataType.BOOL) }), g.constInt64([0, 1, 1, -1])]),
        g.op('Concat', [g.op('Shape', [ids], { end: int(1) }), g.constInt64([1]), seqLen, seqLen], {
          axis: int(0),
        }),
      ])
    : '';
  const maskAdd = contrib
    ? undefined
    : g.op('Mul', [
        g.op('Sub', [
          g.constFloat(1),
          g.op('Unsqueeze', [g.op('Cast', [mask], { to: int(OnnxDataType.FLOAT) }), g.constInt64([1, 2])]),
        ]),
        g.constFloat(MASK_NEGATIVE),
      ]);

  const activation = (y: string, bias: string): string => {
    if (contrib && c.hidden_act === 'gelu') return g.op('BiasGelu', [y, bias], {}, ms);
    if (contrib && c.hidden_act !== 'relu') return g.op('FastGelu', [y, bias], {}, ms);
    return activationNodes(g, bertActivation(c.hidden_act), g.op('Add', [y, bias]));
  };

  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `encoder.layer.${i}`;
    const a = `${p}.attention`;
    let attnOut: string;
    if (contrib) {
      let ctx: string;
      if (packed) {
        // Q, K and V as three products straight into the attention's three inputs: one [H, 3H] product would
        // need a Split of its [B, S, 3H] result (a copy of every value). Only the query's has its bias (an Add
        // pass over [T, H]; CPU_SESSION_CONFIG keeps onnxruntime from fusing it into a slower Gemm): the other
        // two are not needed here. The key's adds q·b_k to every score of a query row, which softmax ignores;
        // the value's adds b_v to every context row (each row's weights sum to 1), so it moves into the output
        // projection's bias (b_o + b_v·W_o). Same embeddings up to float rounding.
        const project = (n: string) =>
          g.op('MatMul', [
            x,
            g.initializer(`${a}.self.${n}.weight`, [h, h], inOutWeight(`${a}.self.${n}.weight`, h, h)),
          ]);
        const q = unpack(g.op('Add', [project('query'), vector(`${a}.self.query.bias`, h)]), h);
        const k = unpack(project('key'), h);
        const v = unpack(project('value'), h);
        ctx = pack(
          g.op('Attention', [q, k, v, keyMask], { q_num_heads: int(heads), kv_num_heads: int(heads) }),
          h,
        );
      } else {
        // The fused Attention kernel takes one [H, 3H] projection for Q, K and V.
        const qkv = new Float32Array(h * 3 * h);
        const qkvBias = new Float32Array(3 * h);
        ['query', 'key', 'value'].forEach((n, k) => {
          const wt = inOutWeight(`${a}.self.${n}.weight`, h, h);
          for (let r = 0; r < h; r++) qkv.set(wt.subarray(r * h, (r + 1) * h), r * 3 * h + k * h);
          qkvBias.set(weight(W, `${a}.self.${n}.bias`, [h]), k * h);
        });
        const wQkv = g.initializer(`${a}.self.qkv.weight`, [h, 3 * h], qkv);
        const bQkv = g.initializer(`${a}.self.qkv.bias`, [3 * h], qkvBias);
        ctx = g.op('Attention', [x, wQkv, bQkv, maskInt32!], { num_heads: int(heads) }, ms);
      }
      const wo = inOutWeight(`${a}.output.dense.weight`, h, h);
      const o = g.op('MatMul', [ctx, g.initializer(`${a}.output.dense.weight`, [h, h], wo)]);
      const outputBias = packed
        ? g.initializer(
            `${a}.output.dense.bias_with_value_bias`,
            [h],
            valueBiasFolded(
              wo,
              weight(W, `${a}.output.dense.bias`, [h]),
              weight(W, `${a}.self.value.bias`, [h]),
            ),
          )
        : vector(`${a}.output.dense.bias`, h);
      // Add + LayerNormalization, not com.microsoft's SkipLayerNormalization: on CPU that kernel runs ~4× slower
      // per value here (encode +8% without it, measured side by side).
      attnOut = layerNorm(g.op('Add', [g.op('Add', [o, outputBias]), x]), `${a}.output.LayerNorm`);
    } else {
      const proj = (n: string) =>
        g.op('Add', [
          g.op('MatMul', [x, linearWeight(`${a}.self.${n}.weight`, h, h)]),
          vector(`${a}.self.${n}.bias`, h),
        ]);
      const split = g.constInt64([0, 0, heads, headSize]);
      const q = g.op('Transpose', [g.op('Reshape', [proj('query'), split])], { perm: ints([0, 2, 1, 3]) });
      const kT = g.op('Transpose', [g.op('Reshape', [proj('key'), split])], { perm: ints([0, 2, 3, 1]) });
      const v = g.op('Transpose', [g.op('Reshape', [proj('value'), split])], { perm: ints([0, 2, 1, 3]) });
      const scores = g.op('Add', [
        g.op('Div', [g.op('MatMul', [q, kT]), g.constFloat(Math.sqrt(headSize))]),
        maskAdd!,
      ]);
      const probs = g.op('Softmax', [scores], { axis: int(-1) });
      const ctx = g.op('Reshape', [
        g.op('Transpose', [g.op('MatMul', [probs, v])], { perm: ints([0, 2, 1, 3]) }),
        g.constInt64([0, 0, h]),
      ]);
      const o = g.op('Add', [
        g.op('MatMul', [ctx, linearWeight(`${a}.output.dense.weight`, h, h)]),
        vector(`${a}.output.dense.bias`, h),
      ]);
      attnOut = layerNorm(g.op('Add', [o, x]), `${a}.output.LayerNorm`);
    }
    const up = g.op('MatMul', [attnOut, linearWeight(`${p}.intermediate.dense.weight`, inter, h)]);
    const act = activation(up, vector(`${p}.intermediate.dense.bias`, inter));
    const down = g.op('MatMul', [act, linearWeight(`${p}.output.dense.weight`, h, inter)]);
    x = layerNorm(
      g.op('Add', [g.op('Add', [down, vector(`${p}.output.dense.bias`, h)]), attnOut]),
      `${p}.output.LayerNorm`,
    );
  }

  const version = options.producerVersion ?? '0';
  const head = options.head ?? [];
  const writeHead = () => {
    let f: OnnxFeatures = {
      tokenEmbeddings: x,
      poolingMask3: g.op('Unsqueeze', [
        g.op('Cast', [poolingMask], { to: int(OnnxDataType.FLOAT) }),
        g.constInt64([2]),
      ]),
      sequenceLength: seqLen,
      maxPositions: c.max_position_embeddings,
      dimension: h,
    };
    for (const write of head) f = write(g, f);
    if (!f.sentenceEmbedding) throw new Error('ONNX export: no head module produced a sentence embedding');
    g.alias(f.sentenceEmbedding, 'sentence_embedding');
    g.output('sentence_embedding', OnnxDataType.FLOAT, [BATCH, f.dimension]);
  };
  if (options.output === 'last_hidden_state') {
    g.alias(x, 'last_hidden_state');
    g.output('last_hidden_state', OnnxDataType.FLOAT, [BATCH, SEQ, h]);
    // The whole encoder in one graph as a second output, for clients that want sentence embeddings directly.
    if (head.length > 0) writeHead();
    return g.model({
      opset: 17,
      producerVersion: version,
      docString:
        head.length > 0
          ? 'BERT encoder (token embeddings) and its head modules (sentence_embedding), written by contrastive'
          : 'BERT encoder (token embeddings), written by contrastive',
    });
  }

  if (packed) x = unpack(x, h);
  g.alias(x, 'token_embeddings');
  if (head.length > 0) {
    writeHead();
  }
  g.output('token_embeddings', OnnxDataType.FLOAT, [BATCH, SEQ, h]);
  return g.model({
    opset: packed ? 23 : 17,
    producerVersion: version,
    docString: 'sentence encoder (BERT + head modules), written by contrastive',
  });
}
