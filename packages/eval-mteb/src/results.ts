import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { EvaluationResult } from './types.js';

/** The JSON written per task: MTEB-like, with `main_score` and a flat `scores` object at the top. */
export interface MtebResultJson {
  task_name: string;
  split: string;
  model_name?: string;
  main_score_name: string;
  main_score: number;
  scores: Record<string, number>;
  evaluation_time: number;
}

export function toMtebResultJson(
  result: EvaluationResult,
  options: { modelName?: string } = {},
): MtebResultJson {
  return {
    task_name: result.task,
    split: result.split,
    ...(options.modelName !== undefined ? { model_name: options.modelName } : {}),
    main_score_name: result.mainScoreName,
    main_score: result.mainScore,
    scores: result.scores,
    evaluation_time: result.evaluationTime,
  };
}

/** Writes one task's result as MTEB-style JSON (creating the folder); returns what was written. */
export function writeMtebResult(
  path: string,
  result: EvaluationResult,
  options: { modelName?: string } = {},
): MtebResultJson {
  const json = toMtebResultJson(result, options);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(json, null, 2)}\n`);
  return json;
}

/** A markdown table with one row per task: task, split, main metric, its value, time. */
export function resultsTable(results: readonly EvaluationResult[]): string {
  const escapeCell = (s: string) => s.replace(/\|/g, '\\|');
  const lines = ['| Task | Split | Main metric | Score | Time (s) |', '| --- | --- | --- | ---: | ---: |'];
  for (const r of results) {
    lines.push(
      `| ${escapeCell(r.task)} | ${escapeCell(r.split)} | ${escapeCell(r.mainScoreName)} | ${r.mainScore.toFixed(4)} | ${r.evaluationTime.toFixed(1)} |`,
    );
  }
  if (results.length > 1) {
    const mean = results.reduce((a, r) => a + r.mainScore, 0) / results.length;
    lines.push(`| **Average** | | | ${mean.toFixed(4)} | |`);
  }
  return `${lines.join('\n')}\n`;
}
