import { readFloat32 } from '@contrastive/tensor-gpu';
import type { BertModel } from '../model.js';
import type { TorchTensor } from './bert_graph.js';
import type { OnnxEncoderSession } from './encoder_session.js';

/**
 * Views of a BERT's own `[in, out]` weights for building an ONNX session (no copies: a base-sized model would need
 * three). Valid only until the next tfjs operation: call right before the graph is written.
 */
export function bertWeightViews(bert: BertModel): () => Record<string, TorchTensor> {
  return () =>
    Object.fromEntries(
      bert
        .namedVariables()
        .map(({ name, variable }) => [name, { shape: variable.shape, data: readFloat32(variable) }]),
    );
}

/**
 * The one onnxruntime snapshot a model keeps for encoding or scoring: reused while its key (the weight tensors'
 * ids and the settings it was built from) is unchanged, rebuilt otherwise, freed by `release`.
 */
export class OnnxSessionCache {
  private current?: { key: unknown[]; session: Promise<OnnxEncoderSession> };

  /** The cached session when `key` matches the one it was built for. */
  get(key: readonly unknown[]): Promise<OnnxEncoderSession> | undefined {
    const c = this.current;
    return c && c.key.length === key.length && c.key.every((k, i) => k === key[i]) ? c.session : undefined;
  }

  /** Frees the cached session, then builds and caches a new one for `key` (forgotten again if the build fails). */
  async build(
    key: readonly unknown[],
    create: () => Promise<OnnxEncoderSession>,
  ): Promise<OnnxEncoderSession> {
    await this.release();
    const session = create();
    this.current = { key: [...key], session };
    try {
      return await session;
    } catch (e) {
      this.current = undefined;
      throw e;
    }
  }

  async release(): Promise<void> {
    const c = this.current;
    this.current = undefined;
    const session = await c?.session.catch(() => undefined);
    await session?.release();
  }
}
