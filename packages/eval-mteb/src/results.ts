import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeOutputFileSync } from '@contrastive/core';
import type { EvaluationResult } from './types.js';

/** The JSON written per task: MTEB-like, with `main_score` and a flat `scores` object at the top. */
export interface MtebResultJson {
  task_name: string;
  split: string;
  model_name?: string;
  main_score_name: string;
  /** null when the metric is undefined (e.g. STS gold scores that are all equal); see `warnings`. */
  main_score: number | null;
  /** Undefined metrics are null. */
  scores: Record<string, number | null>;
  evaluation_time: number;
  warnings?: string[];
  diagnostics?: Record<string, number>;
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
    main_score: Number.isFinite(result.mainScore) ? result.mainScore : null,
    scores: Object.fromEntries(
      Object.entries(result.scores).map(([k, v]) => [k, Number.isFinite(v) ? v : null]),
    ),
    evaluation_time: result.evaluationTime,
    ...(result.warnings?.length ? { warnings: result.warnings } : {}),
    ...(result.diagnostics ? { diagnostics: result.diagnostics } : {}),
  };
}

/**
 * Writes one task's result as MTEB-style JSON (creating the folder), atomically: a write error throws an
 * OutputWriteError naming `path` and leaves no partial file. Returns what was written.
 */
export function writeMtebResult(
  path: string,
  result: EvaluationResult,
  options: { modelName?: string } = {},
): MtebResultJson {
  const json = toMtebResultJson(result, options);
  mkdirSync(dirname(path), { recursive: true });
  writeOutputFileSync(path, `${JSON.stringify(json, null, 2)}\n`);
  return json;
}

/** A markdown table with one row per task: task, split, main metric, its value, time. */
export function resultsTable(results: readonly EvaluationResult[]): string {
  const escapeCell = (s: string) => s.replace(/\|/g, '\\|');
  const lines = ['| Task | Split | Main metric | Score | Time (s) |', '| --- | --- | --- | ---: | ---: |'];
  for (const r of results) {
    lines.push(
      `| ${escapeCell(r.task)} | ${escapeCell(r.split)} | ${escapeCell(r.mainScoreName)} | ${Number.isFinite(r.mainScore) ? r.mainScore.toFixed(4) : 'n/a'} | ${r.evaluationTime.toFixed(1)} |`,
    );
  }
  if (results.length > 1) {
    const mean = results.reduce((a, r) => a + r.mainScore, 0) / results.length;
    lines.push(`| **Average** | | | ${mean.toFixed(4)} | |`);
  }
  return `${lines.join('\n')}\n`;
}
