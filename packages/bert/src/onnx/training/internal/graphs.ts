import type { BertConfig } from '../../../config.js';
import { type Attr, type Dim, GraphBuilder, float, int, ints } from '../../graph_builder.js';
import { activation, bertActivation } from '../../ops.js';
import { type ModelMessage, OnnxDataType } from '../../proto.js';

/**
 * The BERT encoder's training pass as two ONNX graphs, run by onnxruntime: a forward graph that also returns
 * what the backward pass needs, and a backward graph (reverse-mode, written op by op) that turns the gradient
 * of the last hidden state into the gradient of every encoder weight.
 *
 * Layout: tokens are packed (`[T, H]`, T = real tokens of the batch, no padding) for every dense layer, which
 * is where the arithmetic is. Attention works head-major: each projection is transposed once per layer to
 * `[heads, T, d]`, each attention group gathers its `[heads, B, S, d]` rows from it with `pad_map` and packs them
 * back with `token_index` (a transpose per group and projection would cost more than the group's products).
 * The forward graph starts at the packed tokens' ids, positions and types (the embedding lookup is three
 * gathers); the backward graph ends at the gradient of the embedding sum, `d_emb [T, H]`, which the caller
 * scatter-adds into the used rows of the tables.
 *
 * Weights are graph inputs (not initializers), in the tfjs layout of `BertModel` (Linear weights `[in, out]`),
 * so one session serves every step. Dropout masks are inputs too (0 or 1/(1-p)), drawn by the caller from a
 * seed, so a step is reproducible.
 */

const T: Dim = 'tokens';

/** The embedding tables, by Hugging Face name. */
export const EMBEDDINGS = {
  word: 'embeddings.word_embeddings.weight',
  position: 'embeddings.position_embeddings.weight',
  type: 'embeddings.token_type_embeddings.weight',
};

/** The forward graph's token inputs (`[T]`, int64): ids, positions and token types of the packed tokens. */
export const TOKEN_INPUTS = { ids: 'token_ids', positions: 'token_positions', types: 'token_types' };
/** Group k's dimensions (its rows, their padded length, its tokens). */
const Bk = (k: number): Dim => `batch@${k}`;
const Sk = (k: number): Dim => `sequence@${k}`;
const Tk = (k: number): Dim => `tokens@${k}`;

/** Name of attention group k's copy of a per-group input (`pad_map@0`, `drop:3:attn@1`). */
export const groupInput = (name: string, k: number) => `${name}@${k}`;

export interface TrainingGraphs {
  forward: ModelMessage;
  backward: ModelMessage;
  /** The forward output holding the last hidden state `[T, H]`. */
  hiddenOutput: string;
  /**
   * Forward outputs the backward graph takes as inputs: `output` (a forward value, returned as is — no copy
   * node) feeds backward input `input` (`saved:<what>`).
   */
  saved: Array<{ output: string; input: string }>;
  /** Weight names each graph takes as inputs. */
  forwardWeights: string[];
  backwardWeights: string[];
  /** Weights with a gradient, and the backward output holding it. */
  gradients: Array<{ weight: string; output: string }>;
  /** Dropout mask inputs (both graphs), empty without dropout. */
  dropoutInputs: string[];
}

export const gradName = (weight: string) => `grad:${weight}`;

/** The saved projections of a layer (`q:<layer>`, `k:<layer>`, `v:<layer>`), in Q, K, V order. */
const QKV = ['q', 'k', 'v'] as const;

/** The linear layers and LayerNorms of one encoder layer, by Hugging Face name. */
function layerNames(i: number) {
  const p = `encoder.layer.${i}`;
  return {
    q: `${p}.attention.self.query`,
    k: `${p}.attention.self.key`,
    v: `${p}.attention.self.value`,
    o: `${p}.attention.output.dense`,
    ln1: `${p}.attention.output.LayerNorm`,
    up: `${p}.intermediate.dense`,
    down: `${p}.output.dense`,
    ln2: `${p}.output.LayerNorm`,
  };
}

/** Dropout mask input names: the embeddings', and per layer attention probabilities, attention output, FFN output. */
export function dropoutMaskNames(layers: number): string[] {
  const out = ['drop:emb'];
  for (let i = 0; i < layers; i++) out.push(`drop:${i}:attn`, `drop:${i}:ao`, `drop:${i}:out`);
  return out;
}

/**
 * `groups`: attention groups. The packed tokens are the concatenation of `groups` batches (each with its own
 * `[B_k, S_k]` padded layout, inputs `pad_map@k`, `token_index@k`, `mask_add@k`, `query_mask@k` and attention
 * dropout masks `drop:<layer>:attn@k`); the dense layers see all tokens at once, attention runs per group at
 * its own length.
 */
export function buildTrainingGraphs(
  config: BertConfig,
  options: { dropout: boolean; groups?: number; standardOps?: boolean },
): TrainingGraphs {
  return buildGraphs(config, options) as TrainingGraphs;
}

/**
 * The loss of a fused step, written into the graph: MultipleNegativesRankingLoss with cosine similarity over
 * a linear pooling (`pool [R, T]` weights per row and packed token: mean, cls, mean_sqrt_len), optionally
 * followed by Normalize. Rows 0..N−1 are the anchors (`split_rows = [N, R − N]`), the rest the candidates.
 */
export interface FusedLoss {
  scale: number;
  normalize: boolean;
}

/**
 * One graph for a whole training step of a fused loss: forward, pooling, loss, and backward, in one
 * onnxruntime run: no activation leaves onnxruntime (every output is copied into a new ArrayBuffer by
 * onnxruntime-node), only the loss, the weight gradients and `d_emb`.
 */
export interface FusedTrainingGraph {
  model: ModelMessage;
  lossOutput: string;
  weights: string[];
  gradients: Array<{ weight: string; output: string }>;
  dropoutInputs: string[];
}

export function buildFusedTrainingGraph(
  config: BertConfig,
  options: { dropout: boolean; groups?: number; loss: FusedLoss; standardOps?: boolean },
): FusedTrainingGraph {
  return buildGraphs(config, { ...options, fused: options.loss }) as FusedTrainingGraph;
}

/**
 * `standardOps`: the operators GPU providers implement (attention's products as Transpose + MatMul + Mul, not
 * com.microsoft FusedMatMul; Adds, not Sum), for execution providers without onnxruntime's contrib kernels
 * (WebGPU).
 */
function buildGraphs(
  config: BertConfig,
  options: { dropout: boolean; groups?: number; fused?: FusedLoss; standardOps?: boolean },
): TrainingGraphs | FusedTrainingGraph {
  const K = options.groups ?? 1;
  const fused = options.fused;
  const groups = Array.from({ length: K }, (_, k) => k);
  const c = config;
  const h = c.hidden_size;
  const heads = c.num_attention_heads;
  const d = h / heads;
  const inter = c.intermediate_size;
  const eps = c.layer_norm_eps;
  const L = c.num_hidden_layers;
  const scale = 1 / Math.sqrt(d);
  const dropout = options.dropout;
  const F = OnnxDataType.FLOAT;
  const I64 = OnnxDataType.INT64;
  const headLayout = headMajor(heads, d, h);
  // Attention's batched products: one com.microsoft FusedMatMul each, or their standard-operator form.
  const batchedProduct = options.standardOps ? plainMatMul : contribMatMul;

  // ---------------------------------------------------------------- forward
  const f = new GraphBuilder();
  const fWeights: string[] = [];
  // In a fused graph the backward part reads the forward part's inputs: each input is declared once.
  const declared = new Set<string>();
  const inputOnce = (g: GraphBuilder, name: string, type: number, dims: Dim[]) => {
    if (fused && declared.has(name)) return name;
    declared.add(name);
    return g.input(name, type as typeof F, dims);
  };
  const weightIn = (g: GraphBuilder, list: string[], name: string, dims: number[]) => {
    if (!list.includes(name)) list.push(name);
    return inputOnce(g, name, F, dims);
  };
  // word + token type + position rows, added in that order in float32 (as BertEmbeddings).
  const lookup = (table: string, rows: number, ids: string) =>
    f.op('Gather', [weightIn(f, fWeights, table, [rows, h]), f.input(ids, I64, [T])], { axis: int(0) });
  const emb = f.op('Add', [
    f.op('Add', [
      lookup(EMBEDDINGS.word, c.vocab_size, TOKEN_INPUTS.ids),
      lookup(EMBEDDINGS.type, c.type_vocab_size, TOKEN_INPUTS.types),
    ]),
    lookup(EMBEDDINGS.position, c.max_position_embeddings, TOKEN_INPUTS.positions),
  ]);
  const padMap = groups.map((k) => inputOnce(f, groupInput('pad_map', k), I64, [Bk(k), Sk(k)]));
  const tokenIndex = groups.map((k) => inputOnce(f, groupInput('token_index', k), I64, [Tk(k)]));
  // [B_k, 1, S_k]: broadcast against head-major scores [heads, B_k, S_k, S_k] as [1, B_k, 1, S_k].
  const maskAdd = groups.map((k) => f.input(groupInput('mask_add', k), F, [Bk(k), 1, Sk(k)]));
  /**
   * Dropout masks are inputs of both graphs: `[T, H]` on hidden states, per group `[heads, B_k, S_k, S_k]` on
   * attention probabilities (keyed `drop:<layer>:attn@k`).
   */
  const maskInputs = (g: GraphBuilder) =>
    new Map(
      (dropout ? dropoutMaskNames(L) : []).flatMap((name) =>
        name.endsWith(':attn')
          ? groups.map(
              (k) =>
                [
                  groupInput(name, k),
                  inputOnce(g, groupInput(name, k), F, [heads, Bk(k), Sk(k), Sk(k)]),
                ] as const,
            )
          : [[name, inputOnce(g, name, F, [T, h])] as const],
      ),
    );
  const masks = maskInputs(f);
  const saved: Array<{ name: string; value: string; dims: Dim[] }> = [];
  const save = (name: string, value: string, dims: Dim[]) => saved.push({ name, value, dims });
  const drop = (x: string, mask: string) => (dropout ? f.op('Mul', [x, masks.get(mask)!]) : x);

  /** LayerNormalization with its mean and 1/σ saved (the backward pass rebuilds x̂ from them). */
  const layerNormF = (x: string, prefix: string, key: string) => {
    const gamma = weightIn(f, fWeights, `${prefix}.weight`, [h]);
    const beta = weightIn(f, fWeights, `${prefix}.bias`, [h]);
    const [y, mean, invStd] = f.opN('LayerNormalization', [x, gamma, beta], 3, {
      axis: int(-1),
      epsilon: float(eps),
    });
    save(`${key}:in`, x, [T, h]);
    save(`${key}:mean`, mean!, [T, 1]);
    save(`${key}:istd`, invStd!, [T, 1]);
    return y!;
  };
  const linearF = (x: string, name: string, inF: number, outF: number) =>
    f.op('Add', [
      f.op('MatMul', [x, weightIn(f, fWeights, `${name}.weight`, [inF, outF])]),
      weightIn(f, fWeights, `${name}.bias`, [outF]),
    ]);

  // A fused graph's backward part reuses these forward values instead of recomputing them.
  const fwdHeads = new Map<string, [string, string, string]>();
  const fwdAct = new Map<number, string>();
  const fwdDropped = new Map<string, string>();
  let x = drop(layerNormF(emb, 'embeddings.LayerNorm', 'ln:emb'), 'drop:emb');
  for (let i = 0; i < L; i++) {
    const n = layerNames(i);
    save(`x:${i}`, x, [T, h]);
    // Q, K and V as three products (no [H, 3H] weight concatenated each step, no Split of a [·, 3H] result).
    const proj = [n.q, n.k, n.v].map((name) => linearF(x, name, h, h)); // 3 × [T, H]
    // Saved packed (T·H values each, not B·S·H padded ones: every saved value is copied out of onnxruntime and
    // back); the backward graph redoes the cheap gathers and transposes.
    proj.forEach((t, j) => save(`${QKV[j]}:${i}`, t, [T, h]));
    const projHeads = proj.map((t) => headLayout.toHeads(f, t));
    const ctxGroups = groups.map((gk) => {
      const [q, k, v] = projHeads.map((t) => headLayout.gatherGroup(f, t, padMap[gk]!)) as [
        string,
        string,
        string,
      ];
      fwdHeads.set(`${i}@${gk}`, [q, k, v]);
      const scores = f.op('Add', [batchedProduct(f, q, k, { transB: true, alpha: scale }), maskAdd[gk]!]);
      const probs = f.op('Softmax', [scores], { axis: int(-1) });
      save(groupInput(`probs:${i}`, gk), probs, [heads, Bk(gk), Sk(gk), Sk(gk)]);
      const dropped = drop(probs, groupInput(`drop:${i}:attn`, gk));
      fwdDropped.set(`${i}@${gk}`, dropped);
      const ctx4 = f.op('MatMul', [dropped, v]); // [heads, B_k, S_k, d]
      return headLayout.packGroup(f, ctx4, tokenIndex[gk]!);
    });
    // The groups' tokens are consecutive ranges of the packed tokens, in group order.
    const ctx = headLayout.fromHeads(f, headLayout.concatTokens(f, ctxGroups));
    save(`ctx:${i}`, ctx, [T, h]);
    const ao = drop(linearF(ctx, n.o, h, h), `drop:${i}:ao`);
    const a1 = layerNormF(f.op('Add', [ao, x]), n.ln1, `ln1:${i}`);
    save(`a1:${i}`, a1, [T, h]);
    const up = linearF(a1, n.up, h, inter);
    save(`up:${i}`, up, [T, inter]);
    // The activation is not saved: the backward graph recomputes it from `up` (cheaper than copying it out).
    const act = activationF(f, c.hidden_act, up);
    fwdAct.set(i, act);
    const down = drop(linearF(act, n.down, inter, h), `drop:${i}:out`);
    x = layerNormF(f.op('Add', [down, a1]), n.ln2, `ln2:${i}`);
  }
  // Values are graph outputs under their own names: an Identity per output would copy every activation.
  const outputs = new Map<string, Dim[]>();
  const declare = (value: string, dims: Dim[]) => {
    if (outputs.has(value)) return;
    outputs.set(value, dims);
    f.output(value, F, dims);
  };
  if (!fused) {
    declare(x, [T, h]);
    for (const s of saved) declare(s.value, s.dims);
  }
  const forward = fused
    ? undefined
    : f.model({
        opset: 17,
        producerVersion: '0',
        docString: 'BERT encoder training forward (packed tokens), written by contrastive',
      });

  // ---------------------------------------------------------------- backward
  const g = fused ? f : new GraphBuilder();
  const bWeights: string[] = [];
  const gradients: Array<{ weight: string; output: string }> = [];
  const gradOutputs = new Set<string>();
  const inSaved = new Map<string, string>();
  for (const s of saved) inSaved.set(s.name, fused ? s.value : g.input(`saved:${s.name}`, F, s.dims));
  const sv = (name: string) => inSaved.get(name)!;
  const gPadMap = groups.map((k) => inputOnce(g, groupInput('pad_map', k), I64, [Bk(k), Sk(k)]));
  const gTokenIndex = groups.map((k) => inputOnce(g, groupInput('token_index', k), I64, [Tk(k)]));
  // 1 for real query positions [B, S, 1] (broadcast as [1, B, S, 1]): padded rows of the attention gradient
  // must be zero (their outputs were dropped by the packing), not the gradient of token 0 that `pad_map` points
  // them at.
  const queryMask = groups.map((k) => g.input(groupInput('query_mask', k), F, [Bk(k), Sk(k), 1]));
  const gMasks = maskInputs(g);
  const dropB = (dx: string, mask: string) => (dropout ? g.op('Mul', [dx, gMasks.get(mask)!]) : dx);
  const gradOut = (weight: string, value: string, dims: number[]) => {
    let output = value;
    // A value is output once; a second weight with the same gradient value gets a copy.
    if (gradOutputs.has(value)) {
      output = gradName(weight);
      g.alias(value, output);
    }
    gradOutputs.add(output);
    g.output(output, F, dims);
    gradients.push({ weight, output });
  };
  // Σ over the tokens (bias and LayerNorm gradients) as a product with a row of ones: onnxruntime's CPU kernels
  // run it faster than ReduceSum over the first axis (`profile_onnx_train.ts --ort-profile` shows both).
  let onesRow: string | undefined;
  const sumRows = (t: string) => {
    onesRow ??= g.op('Expand', [
      g.constFloat([1], [1, 1]),
      g.op('Concat', [g.constInt64([1]), g.op('Shape', [t], { end: int(1) })], { axis: int(0) }),
    ]);
    return g.op('Reshape', [g.op('MatMul', [onesRow, t]), g.constInt64([-1])]);
  };
  const meanLast = (t: string) => g.op('ReduceMean', [t], { axes: ints([-1]), keepdims: int(1) });

  /** LayerNorm backward: dx = σ⁻¹ (dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)), dγ = Σ dy·x̂, dβ = Σ dy. */
  const layerNormB = (dy: string, prefix: string, key: string) => {
    const gamma = weightIn(g, bWeights, `${prefix}.weight`, [h]);
    const istd = sv(`${key}:istd`);
    const xhat = g.op('Mul', [g.op('Sub', [sv(`${key}:in`), sv(`${key}:mean`)]), istd]);
    gradOut(`${prefix}.weight`, sumRows(g.op('Mul', [dy, xhat])), [h]);
    gradOut(`${prefix}.bias`, sumRows(dy), [h]);
    const dxhat = g.op('Mul', [dy, gamma]);
    const centered = g.op('Sub', [
      g.op('Sub', [dxhat, meanLast(dxhat)]),
      g.op('Mul', [xhat, meanLast(g.op('Mul', [dxhat, xhat]))]),
    ]);
    return g.op('Mul', [centered, istd]);
  };
  /**
   * xᵀ `[in, T]`, once per input (Q, K and V share theirs). onnxruntime's CPU Gemm runs a transposed A operand
   * (`transA`) well below its plain rate, while a transposed copy costs a fraction of the product; the Reshape
   * (a no-op on the shape) keeps onnxruntime's GemmTransposeFusion from folding a Transpose with one consumer back
   * into `transA` (`profile_onnx_train.ts --ort-profile` shows the products' rates).
   */
  const transposedInputs = new Map<string, string>();
  const transposedInput = (x: string, inF: number) => {
    let xT = transposedInputs.get(x);
    if (!xT) {
      xT = g.op('Reshape', [g.op('Transpose', [x], { perm: ints([1, 0]) }), g.constInt64([inF, -1])]);
      transposedInputs.set(x, xT);
    }
    return xT;
  };
  /** Linear backward: dW = xᵀ·dy, db = Σ dy, dx = dy·Wᵀ (W transposed by Gemm's flag, xᵀ by `transposedInput`). */
  /** `scale` multiplies dy first, folded into the Gemms (alpha) and the bias sum: no pass over dy. */
  const linearB = (dy: string, xIn: string, name: string, inF: number, outF: number, scale = 1) => {
    const w = weightIn(g, bWeights, `${name}.weight`, [inF, outF]);
    const alpha: Record<string, Attr> = scale === 1 ? {} : { alpha: float(scale) };
    gradOut(`${name}.weight`, g.op('Gemm', [transposedInput(xIn, inF), dy], alpha), [inF, outF]);
    const db = sumRows(dy);
    gradOut(`${name}.bias`, scale === 1 ? db : g.op('Mul', [db, g.constFloat(scale)]), [outF]);
    return g.op('Gemm', [dy, w], { transB: int(1), ...alpha });
  };

  let lossOutput = '';
  let dx: string;
  if (fused) {
    const r = fusedLossGradient(g, x, fused);
    lossOutput = r.loss;
    g.output(lossOutput, F, []);
    dx = r.dHidden;
  } else dx = g.input('d_hidden', F, [T, h]);
  for (let i = L - 1; i >= 0; i--) {
    const n = layerNames(i);
    // Output LayerNorm, FFN, residual.
    const dr2 = layerNormB(dx, n.ln2, `ln2:${i}`);
    const dDown = dropB(dr2, `drop:${i}:out`);
    const up = sv(`up:${i}`);
    const act = fused ? fwdAct.get(i)! : activationF(g, c.hidden_act, up);
    const dAct = linearB(dDown, act, n.down, inter, h);
    // GELU's derivative comes doubled (one pass fewer); the ½ is folded into the up projection's backward.
    const { grad, scale: upScale } = activationGrad(g, c.hidden_act, up);
    const dUp = g.op('Mul', [dAct, grad]);
    const da1 = g.op('Add', [dr2, linearB(dUp, sv(`a1:${i}`), n.up, h, inter, upScale)]);
    // Attention output LayerNorm, projection, residual.
    const dr1 = layerNormB(da1, n.ln1, `ln1:${i}`);
    const dAo = dropB(dr1, `drop:${i}:ao`);
    const dCtx = linearB(dAo, sv(`ctx:${i}`), n.o, h, h);
    // Attention, head-major: the context gradient transposed once, each group's rows gathered from it.
    const dCtxHeads = headLayout.toHeads(g, dCtx);
    // A separate backward graph rebuilds the heads from the saved packed projections (a fused graph has them).
    const savedHeads = fused ? [] : QKV.map((t) => headLayout.toHeads(g, sv(`${t}:${i}`)));
    const dQkvGroups = groups.map((gk) => {
      // [heads, B_k, S_k, d], padded query rows zeroed.
      const dCtx4 = g.op('Mul', [headLayout.gatherGroup(g, dCtxHeads, gPadMap[gk]!), queryMask[gk]!]);
      const probs = sv(groupInput(`probs:${i}`, gk));
      const [q, k, v] = fused
        ? fwdHeads.get(`${i}@${gk}`)!
        : (savedHeads.map((t) => headLayout.gatherGroup(g, t, gPadMap[gk]!)) as [string, string, string]);
      const attnMask = groupInput(`drop:${i}:attn`, gk);
      const dropped = fused
        ? fwdDropped.get(`${i}@${gk}`)!
        : dropout
          ? g.op('Mul', [probs, gMasks.get(attnMask)!])
          : probs;
      const dV = batchedProduct(g, dropped, dCtx4, { transA: true });
      const dProbs = dropB(batchedProduct(g, dCtx4, v, { transB: true }), attnMask);
      // Softmax backward: p ⊙ (dp − Σ dp ⊙ p); the 1/√d scale is folded into the two products below.
      const dScores = g.op('Mul', [
        probs,
        g.op('Sub', [
          dProbs,
          g.op('ReduceSum', [g.op('Mul', [dProbs, probs]), g.constInt64([-1])], { keepdims: int(1) }),
        ]),
      ]);
      const dQ = batchedProduct(g, dScores, k, { alpha: scale });
      const dK = batchedProduct(g, dScores, q, { transA: true, alpha: scale });
      // Each of dQ, dK, dV: the group's real tokens, [heads, T_k, d].
      return [dQ, dK, dV].map((t) => headLayout.packGroup(g, t, gTokenIndex[gk]!));
    });
    // Q, K and V are three products (as forward): three weight gradients, and dx is the sum of their inputs'
    // gradients and the residual's.
    const xIn = sv(`x:${i}`);
    const dxs = [n.q, n.k, n.v].map((name, j) => {
      const dProj = headLayout.fromHeads(
        g,
        headLayout.concatTokens(
          g,
          dQkvGroups.map((t) => t[j]!),
        ),
      );
      return linearB(dProj, xIn, name, h, h);
    });
    // Standard operators: a chain of Adds (the WebGPU provider has no Sum kernel; it ran on the CPU).
    dx = options.standardOps
      ? dxs.reduce((acc, t) => g.op('Add', [acc, t]), dr1)
      : g.op('Sum', [dr1, ...dxs]);
  }
  const dEmb = layerNormB(dropB(dx, 'drop:emb'), 'embeddings.LayerNorm', 'ln:emb');
  g.alias(dEmb, 'd_emb');
  g.output('d_emb', F, [T, h]);
  if (fused)
    return {
      model: g.model({
        opset: 17,
        producerVersion: '0',
        docString: 'BERT training step with its loss (packed tokens), written by contrastive',
      }),
      lossOutput,
      weights: [...new Set([...fWeights, ...bWeights])],
      gradients,
      dropoutInputs: dropout ? dropoutMaskNames(L) : [],
    };
  const backward = g.model({
    opset: 17,
    producerVersion: '0',
    docString: 'BERT encoder training backward (packed tokens), written by contrastive',
  });
  return {
    forward: forward!,
    backward,
    hiddenOutput: x,
    saved: saved.map((s) => ({ output: s.value, input: `saved:${s.name}` })),
    forwardWeights: fWeights,
    backwardWeights: bWeights,
    gradients,
    dropoutInputs: dropout ? dropoutMaskNames(L) : [],
  };
}

/**
 * The fused loss on the last hidden state `x [T, H]` and its gradient: pooling as a product with `pool [R, T]`,
 * optional Normalize, cosine similarities of anchors and candidates times `scale`, cross entropy with the
 * diagonal as targets (MultipleNegativesRankingLoss); then back to `dHidden [T, H]`.
 */
function fusedLossGradient(g: GraphBuilder, x: string, loss: FusedLoss): { loss: string; dHidden: string } {
  const F = OnnxDataType.FLOAT;
  const pool = g.input('pool', F, ['rows', T]);
  const splitRows = g.input('split_rows', OnnxDataType.INT64, [2]);
  const invAnchors = g.input('inv_anchors', F, []);
  const eps = g.constFloat(1e-12);
  const norm = (t: string) =>
    g.op('Max', [g.op('ReduceL2', [t], { axes: ints([1]), keepdims: int(1) }), eps]);
  /** y = t / max(‖t‖, ε) and its backward dt = (dy − y·Σ y⊙dy) / max(‖t‖, ε). */
  const normalize = (t: string) => {
    const n = norm(t);
    const y = g.op('Div', [t, n]);
    const back = (dy: string) =>
      g.op('Div', [
        g.op('Sub', [
          dy,
          g.op('Mul', [
            y,
            g.op('ReduceSum', [g.op('Mul', [y, dy]), g.constInt64([1])], { keepdims: int(1) }),
          ]),
        ]),
        n,
      ]);
    return { y, back };
  };
  const pooled = g.op('MatMul', [pool, x]); // [R, H]
  const head = loss.normalize ? normalize(pooled) : undefined;
  const e = head ? head.y : pooled;
  const [a, c] = g.opN('Split', [e, splitRows], 2, { axis: int(0) });
  const an = normalize(a!);
  const cn = normalize(c!);
  const scores = g.op('Gemm', [an.y, cn.y], { transB: int(1), alpha: float(loss.scale) }); // [N, M]
  const eye = g.op('EyeLike', [scores]);
  const lse = g.op('ReduceLogSumExp', [scores], { axes: ints([1]), keepdims: int(0) });
  const diag = g.op('ReduceSum', [g.op('Mul', [scores, eye]), g.constInt64([1])], { keepdims: int(0) });
  const value = g.op('ReduceMean', [g.op('Sub', [lse, diag])], { keepdims: int(0) });
  // d loss / d scores = (softmax − onehot) / N
  const dScores = g.op('Mul', [g.op('Sub', [g.op('Softmax', [scores], { axis: int(-1) }), eye]), invAnchors]);
  const dAn = g.op('Gemm', [dScores, cn.y], { alpha: float(loss.scale) });
  const dCn = g.op('Gemm', [dScores, an.y], { transA: int(1), alpha: float(loss.scale) });
  let dE = g.op('Concat', [an.back(dAn), cn.back(dCn)], { axis: int(0) });
  if (head) dE = head.back(dE);
  const dHidden = g.op('Gemm', [pool, dE], { transA: int(1) }); // [T, H]
  return { loss: value, dHidden };
}

/**
 * Attention's head-major layout. A projection `[T, H]` is transposed once per layer to `[heads, T, d]`; a group
 * gathers its padded `[heads, B_k, S_k, d]` from that along the token axis (padded positions gather token 0) and
 * its results go back as its real tokens `[heads, T_k, d]`, concatenated over groups in group order (each
 * group's tokens are a consecutive range of the packed tokens) and transposed back once.
 */
function headMajor(heads: number, d: number, h: number) {
  return {
    toHeads: (g: GraphBuilder, t: string) =>
      g.op('Transpose', [g.op('Reshape', [t, g.constInt64([0, heads, d])])], { perm: ints([1, 0, 2]) }),
    fromHeads: (g: GraphBuilder, t: string) =>
      g.op('Reshape', [g.op('Transpose', [t], { perm: ints([1, 0, 2]) }), g.constInt64([0, h])]),
    gatherGroup: (g: GraphBuilder, th: string, padMap: string) =>
      g.op('Gather', [th, padMap], { axis: int(1) }),
    packGroup: (g: GraphBuilder, t4: string, tokenIndex: string) =>
      g.op('Gather', [g.op('Reshape', [t4, g.constInt64([0, -1, d])]), tokenIndex], { axis: int(1) }),
    concatTokens: (g: GraphBuilder, parts: string[]) =>
      parts.length === 1 ? parts[0]! : g.op('Concat', parts, { axis: int(1) }),
  };
}

interface ProductOptions {
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
}

/**
 * A batched product of `[…, heads, rows, cols]` operands with their last two axes transposed in place and the
 * result scaled (onnxruntime's com.microsoft FusedMatMul): no transposed copy, no pass for the scale.
 */
function contribMatMul(g: GraphBuilder, a: string, b: string, options: ProductOptions): string {
  const attrs: Record<string, Attr> = {};
  if (options.transA) attrs.transA = int(1);
  if (options.transB) attrs.transB = int(1);
  if (options.alpha !== undefined) attrs.alpha = float(options.alpha);
  return g.op('FusedMatMul', [a, b], attrs, { domain: 'com.microsoft' });
}

/** `contribMatMul` in standard operators (4-D operands): Transpose, MatMul, Mul. */
function plainMatMul(g: GraphBuilder, a: string, b: string, options: ProductOptions): string {
  const t = (x: string, yes?: boolean) => (yes ? g.op('Transpose', [x], { perm: ints([0, 1, 3, 2]) }) : x);
  const product = g.op('MatMul', [t(a, options.transA), t(b, options.transB)]);
  return options.alpha === undefined ? product : g.op('Mul', [product, g.constFloat(options.alpha)]);
}

function activationF(g: GraphBuilder, act: BertConfig['hidden_act'], x: string): string {
  return activation(g, bertActivation(act), x);
}

/** d act(x) / dx as `grad · scale` (GELU's comes doubled, `scale` ½, to save a pass). */
function activationGrad(
  g: GraphBuilder,
  act: BertConfig['hidden_act'],
  x: string,
): { grad: string; scale: number } {
  if (act === 'relu')
    return {
      grad: g.op('Cast', [g.op('Greater', [x, g.constFloat(0)])], { to: int(OnnxDataType.FLOAT) }),
      scale: 1,
    };
  if (act === 'gelu') {
    // 2·(Φ(x) + x·φ(x)) = (erf(u) + x·exp(ln√(2/π) − u²)) + 1, u = x/√2. Two Adds, not one Sum of three:
    // onnxruntime's CPU Sum with a broadcast scalar is slower than both Adds together (see the op profile).
    const u = g.op('Mul', [x, g.constFloat(Math.SQRT1_2)]);
    const xPdf2 = g.op('Mul', [
      x,
      g.op('Exp', [g.op('Sub', [g.constFloat(Math.log(Math.sqrt(2 / Math.PI))), g.op('Mul', [u, u])])]),
    ]);
    return {
      grad: g.op('Add', [g.op('Add', [g.op('Erf', [u]), xPdf2]), g.constFloat(1)]),
      scale: 0.5,
    };
  }
  // tanh approximation: ½(1 + t) + ½x(1 − t²)·c(1 + 3·0.044715x²), t = tanh(c(x + 0.044715x³))
  const c0 = Math.sqrt(2 / Math.PI);
  const x2 = g.op('Mul', [x, x]);
  const t = g.op('Tanh', [
    g.op('Mul', [
      g.op('Add', [x, g.op('Mul', [g.op('Mul', [x2, x]), g.constFloat(0.044715)])]),
      g.constFloat(c0),
    ]),
  ]);
  const left = g.op('Mul', [g.op('Add', [t, g.constFloat(1)]), g.constFloat(0.5)]);
  const sech2 = g.op('Sub', [g.constFloat(1), g.op('Mul', [t, t])]);
  const dInner = g.op('Mul', [
    g.op('Add', [g.constFloat(1), g.op('Mul', [x2, g.constFloat(3 * 0.044715)])]),
    g.constFloat(c0),
  ]);
  return {
    grad: g.op('Add', [
      left,
      g.op('Mul', [g.op('Mul', [g.op('Mul', [x, g.constFloat(0.5)]), sech2]), dInner]),
    ]),
    scale: 1,
  };
}
