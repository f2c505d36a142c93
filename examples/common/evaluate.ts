// The evaluation suite several examples share: STS-B dev, Banking77 classification and a Financial-QA retrieval
// set, MTEB-style, at a small size by default.
import { loadBanking77, loadFinancialQa } from '@contrastive/data-nli';
import {
  ClassificationEvaluator,
  type Embedder,
  type EvaluationResult,
  type RetrievalData,
  RetrievalEvaluator,
} from '@contrastive/eval-mteb';
import { sharedPath } from '../../test-support/shared.js';
import { stsEvaluator } from './nli.js';

export interface SuiteOptions {
  /** Full size: all of STS-B dev, Banking77 train/test and 1000 Financial-QA queries. */
  full?: boolean;
}

export async function banking77Evaluator(full = false): Promise<ClassificationEvaluator> {
  const dir = sharedPath('data', 'banking77');
  const load = async (split: string, limit: number) => {
    let ds = await loadBanking77(dir, { split });
    if (!full && ds.numRows > limit) ds = ds.shuffle(3).select({ start: 0, end: limit });
    const label = ds.hasColumn('label') ? 'label' : 'category';
    return { texts: ds.stringColumn('text'), labels: ds.column(label) as Array<string | number> };
  };
  return new ClassificationEvaluator(await load('train', 2000), await load('test', 500), {
    name: 'banking77',
    split: 'test',
    experiments: full ? 10 : 2,
  });
}

/** The first `queries` unique Financial-QA questions against all their contexts (a BEIR set in memory). */
export async function financialQaRetrieval(queries = 200): Promise<RetrievalEvaluator> {
  const qa = await loadFinancialQa(sharedPath('data', 'financial-qa-10k', 'Financial-QA-10k.csv'));
  const q = qa.stringColumn('query');
  const p = qa.stringColumn('positive');
  const data: RetrievalData = { corpus: new Map(), queries: new Map(), qrels: new Map() };
  const docIds = new Map<string, string>();
  for (let i = 0; i < qa.numRows && data.queries.size < queries; i++) {
    if ([...data.queries.values()].includes(q[i]!)) continue;
    let d = docIds.get(p[i]!);
    if (!d) {
      d = `d${docIds.size}`;
      docIds.set(p[i]!, d);
      data.corpus.set(d, p[i]!);
    }
    const qid = `q${data.queries.size}`;
    data.queries.set(qid, q[i]!);
    data.qrels.set(qid, new Map([[d, 1]]));
  }
  return new RetrievalEvaluator(data, { name: 'financial-qa', split: 'test' });
}

/** STS-B dev, Banking77 and (unless `retrieval` is false) Financial-QA retrieval. */
export async function evaluationSuite(
  o: SuiteOptions & { retrieval?: boolean } = {},
): Promise<Array<{ evaluate(model: Embedder): Promise<EvaluationResult> }>> {
  const suite: Array<{ evaluate(model: Embedder): Promise<EvaluationResult> }> = [
    await stsEvaluator('dev', o.full ? undefined : 500),
    await banking77Evaluator(o.full),
  ];
  if (o.retrieval !== false) suite.push(await financialQaRetrieval(o.full ? 1000 : 200));
  return suite;
}

export async function evaluateAll(
  model: Embedder,
  suite: ReadonlyArray<{ evaluate(model: Embedder): Promise<EvaluationResult> }>,
): Promise<EvaluationResult[]> {
  const out: EvaluationResult[] = [];
  for (const e of suite) out.push(await e.evaluate(model));
  return out;
}
