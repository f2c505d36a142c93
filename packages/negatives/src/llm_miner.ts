import type { MinerContext, MiningQuery, NegativeMiner, QueryCandidates, TextGenerator } from './types.js';

/**
 * The default prompt. `{count}`, `{query}` and `{positive}` (the query's first positive) are filled in.
 * It asks for a JSON array so the answer parses without guessing; numbered or bulleted lines parse too.
 */
export const LLM_NEGATIVES_PROMPT = `You write hard negatives for training a search model.
Write {count} different passages that look relevant to the query (same topic, same vocabulary, similar style \
and length as the relevant passage) but do NOT answer it.

Query: {query}
Relevant passage: {positive}

Answer with only a JSON array of {count} strings.`;

/** Options of LlmNegativeMiner. */
export interface LlmMinerOptions {
  /** Prompt template (default LLM_NEGATIVES_PROMPT). */
  template?: string;
  /** Generations in flight at once (default 4). */
  concurrency?: number;
}

/** Fills `{name}` placeholders of a template. */
export function fillTemplate(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (all, name: string) => (name in values ? String(values[name]) : all));
}

/**
 * Texts of an LLM answer: the first JSON array of strings in it (code fences allowed), else one text per
 * non-empty line with list markers (`1.`, `-`, `*`) removed. Trimmed and deduplicated (case-insensitively).
 */
export function parseGeneratedTexts(answer: string): string[] {
  let texts: string[] | undefined;
  const start = answer.indexOf('[');
  const end = answer.lastIndexOf(']');
  if (start >= 0 && end > start) {
    try {
      const parsed: unknown = JSON.parse(answer.slice(start, end + 1));
      if (Array.isArray(parsed)) texts = parsed.filter((t): t is string => typeof t === 'string');
    } catch {
      // not JSON: fall back to lines
    }
  }
  texts ??= answer
    .split(/\r?\n/)
    .map((l) => l.replace(/^\s*(?:\d+[.)]|[-*•])\s+/, ''))
    .filter((l) => !/^```/.test(l.trim()));
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of texts) {
    const t = raw.trim().replace(/^"(.*)"$/, '$1');
    const key = t.toLowerCase().replace(/\s+/g, ' ');
    if (t === '' || seen.has(key)) continue;
    seen.add(key);
    out.push(t);
  }
  return out;
}

/**
 * LLM-made hard negatives: asks a TextGenerator (any provider) for passages that look relevant but are
 * not, per query. Unscored unless a reranker scores them; texts equal to a positive are removed.
 */
export class LlmNegativeMiner implements NegativeMiner {
  readonly name = 'llm';
  readonly scored = false;

  constructor(
    private readonly generator: TextGenerator,
    private readonly options: LlmMinerOptions = {},
  ) {}

  async candidates(queries: readonly MiningQuery[], ctx: MinerContext): Promise<QueryCandidates[]> {
    const template = this.options.template ?? LLM_NEGATIVES_PROMPT;
    const out: QueryCandidates[] = new Array(queries.length);
    let next = 0;
    let done = 0;
    const worker = async () => {
      for (let qi = next++; qi < queries.length; qi = next++) {
        const q = queries[qi]!;
        const prompt = fillTemplate(template, { count: ctx.k, query: q.query, positive: q.positives[0]! });
        const texts = parseGeneratedTexts(await this.generator.generate(prompt));
        out[qi] = { candidates: texts.map((text) => ({ text })) };
        ctx.onProgress?.('generate', ++done, queries.length);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.options.concurrency ?? 4) }, worker));
    return out;
  }
}
