import { type NamedVariable, tf } from '@contrastive/tensor-gpu';
import type { LossGradients } from '../types.js';

/** Checks names are unique and returns the trainable ones (tfjs skips the rest anyway). */
export function trainable(params: NamedVariable[]): NamedVariable[] {
  const seen = new Set<string>();
  for (const p of params) {
    if (seen.has(p.name))
      throw new Error(
        `parameter "${p.name}" appears twice (model and loss parameters must have distinct names)`,
      );
    seen.add(p.name);
  }
  return params.filter((p) => p.variable.trainable);
}

/**
 * Runs `f` under a gradient tape and returns its value and the gradient of every parameter it depends on,
 * keyed by parameter name. Every intermediate is disposed; the caller owns the returned gradients.
 */
export function tapeGradients(params: NamedVariable[], f: () => tf.Scalar): LossGradients {
  const vars = trainable(params);
  const nameOf = new Map(vars.map((p) => [p.variable.name, p.name] as const));
  const { value, grads } = tf.variableGrads(
    () => f(),
    vars.map((p) => p.variable),
  );
  const loss = value.dataSync()[0]!;
  value.dispose();
  const out = new Map<string, tf.Tensor>();
  for (const [varName, g] of Object.entries(grads)) {
    const name = nameOf.get(varName);
    if (name === undefined) g.dispose();
    else out.set(name, g);
  }
  return { loss, grads: out };
}

/** `acc[name] += grads[name]` for every gradient, disposing what is replaced. */
export function accumulateGradients(acc: Map<string, tf.Tensor>, grads: Map<string, tf.Tensor>): void {
  for (const [name, g] of grads) {
    const prev = acc.get(name);
    if (!prev) {
      acc.set(name, g);
      continue;
    }
    acc.set(name, tf.add(prev, g));
    prev.dispose();
    g.dispose();
  }
}
