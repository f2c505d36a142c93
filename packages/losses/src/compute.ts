import { labelKind } from '@contrastive/core';
import { tf } from '@contrastive/tensor-gpu';
import { tapeGradients, trainable } from './internal/gradients.js';
import type {
  ColumnRequirement,
  EmbedCallOptions,
  EmbeddingModel,
  ExternalTrainingStep,
  LabelKind,
  Loss,
  LossBatch,
  LossContext,
  LossGradients,
  PairScoringModel,
} from './types.js';
import { isPairScoringModel } from './types.js';

const KIND_WORDS: Record<LabelKind, string> = {
  float: 'a number per row (float)',
  class: 'an integer class id per row',
  list: 'a list of numbers per row',
};

function labelAccepted(req: ColumnRequirement, kind: LabelKind): boolean {
  switch (req.label) {
    case 'none':
      return true;
    case 'float':
      return kind === 'float' || kind === 'class';
    case 'class':
      return kind === 'class';
    case 'list':
      return kind === 'list' || req.acceptsScalarLabel === true;
  }
}

/**
 * Throws before the first step when the data set cannot feed the loss: too few or too many text columns,
 * or a missing or ill-typed label column. The message names what the loss needs and what the data set has.
 */
export function validateColumns(
  loss: Loss,
  columnNames: string[],
  label?: { present: boolean; kind?: 'float' | 'class' | 'list' },
): void {
  const req = loss.columns;
  const n = columnNames.length;
  if (n < req.minInputs || (req.maxInputs !== undefined && n > req.maxInputs)) {
    const has =
      n === 0 ? 'no text columns' : `${n} text column${n === 1 ? '' : 's'} (${columnNames.join(', ')})`;
    throw new Error(`${loss.name} needs ${req.description} but the data set has ${has}`);
  }
  if (req.label === 'none') return;
  if (!label?.present) {
    throw new Error(
      `${loss.name} needs ${req.description} and a label column ("label" or "score") holding ${KIND_WORDS[req.label]}, but the data set has no label column`,
    );
  }
  if (label.kind !== undefined && !labelAccepted(req, label.kind)) {
    throw new Error(
      `${loss.name} needs a label column holding ${KIND_WORDS[req.label]}, but the data set's label column holds ${KIND_WORDS[label.kind]}`,
    );
  }
}

/** `validateColumns` for one batch: its text columns and what its labels hold. */
function validateBatch(loss: Loss, batch: LossBatch): void {
  validateColumns(loss, batch.columnNames, {
    present: batch.labels !== undefined,
    kind: batch.labels ? labelKindOf(batch.labels) : undefined,
  });
}

/** What the labels of a batch hold: lists, integers (class ids) or other numbers (`@contrastive/core`'s labelKind). */
export function labelKindOf(labels: number[] | number[][]): LabelKind {
  return labelKind(labels);
}

/**
 * What the trainer calls for one step: the loss value and the gradients of the model's parameters and the
 * loss's own, by name. Works for tape losses (`forward`) and self-differentiating ones (`computeGradients`);
 * every intermediate tensor is disposed, the caller disposes the returned gradients.
 */
export function computeLossAndGradients(
  loss: Loss,
  model: EmbeddingModel,
  batch: LossBatch,
  ctx: LossContext,
): LossGradients {
  validateBatch(loss, batch);
  // Idempotent: lets a loss size its own parameters from the model before they are collected.
  loss.prepare?.(model);
  if (loss.computeGradients) return loss.computeGradients(model, batch, ctx);
  const forward = loss.forward?.bind(loss);
  if (!forward) throw new Error(`${loss.name} has neither forward() nor computeGradients()`);
  const params = [...model.namedVariables(), ...(loss.namedVariables?.() ?? [])];
  return tapeGradients(params, () => forward(model, batch, ctx));
}

/**
 * `computeLossAndGradients` for a model that runs outside tfjs's tape (`ExternalTrainingStep`, e.g. the
 * onnxruntime engine of @contrastive/bert). The loss's `forward` runs on tfjs as usual:
 * 1. a first pass on zero embeddings records which `embedTensor` calls the loss makes (texts and options);
 * 2. the step computes those embeddings (its forward passes);
 * 3. the loss runs again under tfjs's tape, differentiated with respect to those embeddings and the loss's
 *    own parameters;
 * 4. the step turns each embedding gradient into parameter gradients (its backward passes).
 * Any loss with a deterministic `forward` works unchanged. The caller disposes the step.
 */
export async function computeLossAndGradientsExternal(
  loss: Loss,
  model: EmbeddingModel,
  step: ExternalTrainingStep,
  batch: LossBatch,
  ctx: LossContext,
): Promise<LossGradients> {
  validateBatch(loss, batch);
  loss.prepare?.(model);
  const forward = loss.forward?.bind(loss);
  if (!forward) {
    throw new Error(
      `${loss.name} has no forward(): only its computeGradients() exists, which runs the model under tfjs's tape; train it with the tfjs engine`,
    );
  }
  // Each call the loss makes on the model: texts to embed, or pairs to score (a cross-encoder).
  type Call =
    | { kind: 'embed'; texts: string[]; options: EmbedCallOptions }
    | { kind: 'score'; pairs: Array<[string, string]>; options: EmbedCallOptions };
  const calls: Call[] = [];
  const scorer = isPairScoringModel(model) ? model : undefined;
  const recorder: EmbeddingModel & Partial<PairScoringModel> = {
    embedTensor: (texts, options = {}) => {
      calls.push({ kind: 'embed', texts: [...texts], options: { ...options } });
      return tf.zeros([texts.length, step.dimension]);
    },
    namedVariables: () => model.namedVariables(),
  };
  if (scorer) {
    Object.assign(recorder, {
      numLabels: scorer.numLabels,
      scoreTensor: (pairs: Array<[string, string]>, options: EmbedCallOptions = {}) => {
        calls.push({ kind: 'score', pairs: pairs.map(([a, b]) => [a, b]), options: { ...options } });
        return tf.zeros([pairs.length, scorer.numLabels]);
      },
    });
  }
  tf.tidy(() => {
    forward(recorder, batch, ctx);
  });
  if (calls.length === 0) throw new Error(`${loss.name}: forward() embedded no texts`);

  const own = trainable(loss.namedVariables?.() ?? []);
  // The whole step inside the engine where it can run this loss itself (no embeddings come back).
  const form = loss.fusedForm?.(batch);
  const first = calls[0]!.options;
  const sameMode = calls.every(
    (c) =>
      c.kind === 'embed' &&
      c.options.training === first.training &&
      c.options.dropoutRate === first.dropoutRate,
  );
  if (form && step.trainFused && sameMode && calls.length > 1 && own.length === 0) {
    const value = await step.trainFused(
      form,
      calls.map((c) => ({ texts: (c as { texts: string[] }).texts, options: c.options })),
    );
    if (value !== undefined) return { loss: value, grads: step.gradients() };
  }
  const embeddings: tf.Tensor2D[] = [];
  // The model's own parameters, in case the loss uses them directly besides through the step's embeddings (TSDAE's
  // decoder tied to the encoder): their gradient from that use is added to the step's. Unused ones get none.
  const direct = trainable(model.namedVariables());
  let grads: Array<tf.Tensor | null> = [];
  try {
    // All calls in one pass where the step can (same training mode and dropout rate; seeds and prompts may
    // differ): its results equal one pass per call.
    const together =
      step.embedAll !== undefined && step.backwardAll !== undefined && calls.length > 1 && sameMode;
    if (together)
      embeddings.push(
        ...(await step.embedAll!(
          calls.map((c) => ({ texts: (c as { texts: string[] }).texts, options: c.options })),
        )),
      );
    for (const c of together ? [] : calls) {
      if (c.kind === 'embed') embeddings.push(await step.embed(c.texts, c.options));
      else {
        if (!step.score)
          throw new Error(
            `${loss.name}: the training engine scores no sentence pairs; train with the tfjs engine`,
          );
        embeddings.push(await step.score(c.pairs, c.options));
      }
    }
    // The second pass replays the recorded calls in order: each must ask for what the first pass asked for.
    let k = 0;
    const next = <C extends Call>(kind: C['kind'], same: (c: C) => boolean) => {
      const c = calls[k];
      const e = embeddings[k];
      k++;
      if (!c || !e || c.kind !== kind || !same(c as C))
        throw new Error(
          `${loss.name}: forward() embedded different texts on a second pass over the same batch; a loss must call embedTensor deterministically to train outside tfjs`,
        );
      return e;
    };
    const replay: EmbeddingModel & Partial<PairScoringModel> = {
      embedTensor: (texts) =>
        next<Extract<Call, { kind: 'embed' }>>(
          'embed',
          (c) => c.texts.length === texts.length && c.texts.every((t, i) => t === texts[i]),
        ),
      namedVariables: () => model.namedVariables(),
    };
    if (scorer) {
      Object.assign(replay, {
        numLabels: scorer.numLabels,
        scoreTensor: (pairs: Array<[string, string]>) =>
          next<Extract<Call, { kind: 'score' }>>(
            'score',
            (c) =>
              c.pairs.length === pairs.length &&
              c.pairs.every((p, i) => p[0] === pairs[i]![0] && p[1] === pairs[i]![1]),
          ),
      });
    }
    const xs: tf.Tensor[] = [...embeddings, ...own.map((p) => p.variable), ...direct.map((p) => p.variable)];
    const r = tf.engine().gradients(() => forward(replay, batch, ctx), xs, undefined, true);
    grads = r.grads;
    const value = r.value.dataSync()[0]!;
    r.value.dispose();
    if (together)
      await step.backwardAll!(embeddings.map((_, i) => (grads[i] as tf.Tensor2D | undefined) ?? null));
    else
      for (let i = 0; i < embeddings.length; i++) {
        const g = grads[i];
        if (g) await step.backward(i, g as tf.Tensor2D);
      }
    const out = step.gradients();
    own.forEach((p, j) => {
      const g = grads[embeddings.length + j];
      if (g) out.set(p.name, g);
      grads[embeddings.length + j] = null;
    });
    direct.forEach((p, j) => {
      const at = embeddings.length + own.length + j;
      const g = grads[at];
      if (!g) return;
      const prev = out.get(p.name);
      if (prev) {
        out.set(p.name, tf.add(prev, g));
        prev.dispose();
      } else {
        out.set(p.name, g);
        grads[at] = null;
      }
    });
    return { loss: value, grads: out };
  } finally {
    tf.dispose(embeddings);
    tf.dispose(grads.filter((g): g is tf.Tensor => g !== null));
  }
}

/** The loss value alone, without gradients (evaluation): intermediates disposed. */
export function computeLoss(loss: Loss, model: EmbeddingModel, batch: LossBatch, ctx: LossContext): number {
  const forward = loss.forward?.bind(loss);
  if (!forward) {
    const { loss: value, grads } = computeLossAndGradients(loss, model, batch, ctx);
    for (const g of grads.values()) g.dispose();
    return value;
  }
  loss.prepare?.(model);
  const t = tf.tidy(() => forward(model, batch, ctx));
  const v = t.dataSync()[0]!;
  t.dispose();
  return v;
}
