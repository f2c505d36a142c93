import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Embedder } from './types.js';
import { normalizeRows } from './vector_index.js';

/** Options of embedTexts. */
export interface EmbedTextsOptions {
  /** Folder for cached embeddings; none → no cache. */
  cacheDir?: string;
  /** Identifies the model (and anything that changes its output: prompt, pooling); part of the cache key. */
  cacheKey?: string;
  /** Texts per embed call (default 256). */
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Embeddings as one row-major matrix, normalized (inner product = cosine). */
export interface EmbeddingMatrix {
  dimension: number;
  count: number;
  data: Float32Array;
}

/** The cache file for these texts under this model: sha256 of the model key and each text's sha256. */
export function embeddingCacheFile(cacheDir: string, cacheKey: string, texts: readonly string[]): string {
  const h = createHash('sha256').update(`${cacheKey}\n${texts.length}\n`);
  for (const t of texts) h.update(createHash('sha256').update(t).digest());
  return join(cacheDir, `embeddings-${h.digest('hex').slice(0, 40)}.f32`);
}

/**
 * Embeds texts in batches into a normalized matrix, or loads the matrix cached for the same model key and
 * texts. The cache file (a uint32 dimension, then float32 rows) is written atomically: temp file + rename.
 */
export async function embedTexts(
  embedder: Embedder,
  texts: readonly string[],
  options: EmbedTextsOptions = {},
): Promise<EmbeddingMatrix> {
  const file =
    options.cacheDir !== undefined
      ? embeddingCacheFile(options.cacheDir, options.cacheKey ?? '', texts)
      : undefined;
  if (file && existsSync(file)) {
    const buf = readFileSync(file);
    const dimension = buf.readUInt32LE(0);
    const data = new Float32Array(buf.buffer.slice(buf.byteOffset + 4, buf.byteOffset + buf.byteLength));
    if (dimension > 0 && data.length === dimension * texts.length) {
      options.onProgress?.(texts.length, texts.length);
      return { dimension, count: texts.length, data };
    }
  }
  const batchSize = options.batchSize ?? 256;
  let data: Float32Array | undefined;
  let dimension = 0;
  for (let start = 0; start < texts.length; start += batchSize) {
    const batch = texts.slice(start, start + batchSize);
    const rows = await embedder.embed(batch);
    if (rows.length !== batch.length)
      throw new Error(`embedder returned ${rows.length} embeddings for ${batch.length} texts`);
    if (!data) {
      dimension = rows[0]?.length ?? 0;
      if (dimension === 0) throw new Error('embedder returned empty embeddings');
      data = new Float32Array(texts.length * dimension);
    }
    rows.forEach((row, i) => {
      if (row.length !== dimension)
        throw new Error(`embedding of text ${start + i} has ${row.length} values, expected ${dimension}`);
      data!.set(row, (start + i) * dimension);
    });
    options.onProgress?.(Math.min(texts.length, start + batchSize), texts.length);
  }
  data ??= new Float32Array(0);
  normalizeRows(data, Math.max(dimension, 1));
  if (file && options.cacheDir !== undefined) {
    mkdirSync(options.cacheDir, { recursive: true });
    const header = Buffer.alloc(4);
    header.writeUInt32LE(dimension, 0);
    const tmp = `${file}.tmp-${process.pid}`;
    try {
      writeFileSync(tmp, Buffer.concat([header, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
      renameSync(tmp, file);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw new Error(`cannot write embedding cache ${file}: ${(e as Error).message}`);
    }
  }
  return { dimension, count: texts.length, data };
}
