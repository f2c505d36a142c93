import { type NamedVariable, tf } from '@contrastive/tensor-gpu';
import type { EmbeddingModel } from '../src/index.js';

/**
 * A fake embedding model for hand-computed tests: each known text maps to one row of a trainable table, so
 * the embedding of a text is exactly the vector the test chose, and gradients flow into the table.
 */
export class TableModel implements EmbeddingModel {
  readonly table: tf.Variable;
  readonly texts: string[];
  readonly dimension: number;
  /** Every embedTensor call: its texts and options. */
  readonly calls: Array<{ texts: string[]; options: Parameters<EmbeddingModel['embedTensor']>[1] }> = [];

  constructor(
    vectors: Record<string, number[]>,
    readonly paramName = 'table',
  ) {
    this.texts = Object.keys(vectors);
    const rows = Object.values(vectors);
    this.dimension = rows[0]!.length;
    this.table = tf.variable(tf.tensor2d(rows), true);
  }

  embedTensor(texts: string[], options?: Parameters<EmbeddingModel['embedTensor']>[1]): tf.Tensor2D {
    this.calls.push({ texts, options });
    const idx = texts.map((t) => {
      const i = this.texts.indexOf(t);
      if (i < 0) throw new Error(`TableModel: unknown text "${t}"`);
      return i;
    });
    return tf.tidy(() => tf.gather(this.table, tf.tensor1d(idx, 'int32')) as tf.Tensor2D);
  }

  namedVariables(): NamedVariable[] {
    return [{ name: this.paramName, variable: this.table }];
  }

  /** The gradient rows of the given texts. */
  static rows(grad: tf.Tensor, model: TableModel, texts: string[]): number[][] {
    const all = grad.arraySync() as number[][];
    return texts.map((t) => all[model.texts.indexOf(t)]!);
  }

  dispose(): void {
    this.table.dispose();
  }
}

/** A batch from named text columns (all the same length) and optional labels. */
export function batchOf(columns: Record<string, string[]>, labels?: number[] | number[][]) {
  const columnNames = Object.keys(columns);
  return { columnNames, columns, labels, size: columns[columnNames[0]!]!.length };
}

export const evalCtx = { training: false };
