import { extname } from 'node:path';
import { Dataset, readDataFile, streamLines } from '@contrastive/data-nli';

/**
 * A file of plain sentences as a one-column (`text`) data set: `.txt` is one sentence a line (blank lines
 * skipped); any other data file (JSONL `{"text": …}`, CSV, Parquet…) must have a `text` column or exactly one
 * column. Errors name the file.
 */
export async function readSentenceFile(file: string): Promise<Dataset> {
  if (extname(file).toLowerCase() === '.txt') {
    const texts: string[] = [];
    for await (const { text } of streamLines(file)) if (text.trim() !== '') texts.push(text);
    if (texts.length === 0) throw new Error(`${file}: no sentences (one a line expected)`);
    return Dataset.fromColumns({ text: texts });
  }
  const data = await readDataFile(file);
  const names = data.columnNames;
  const column = names.includes('text') ? 'text' : names.length === 1 ? names[0]! : undefined;
  if (!column)
    throw new Error(
      `${file}: expected a "text" column or a single column, got ${names.join(', ') || 'none'}`,
    );
  const texts = data.column(column).map((v, i) => {
    if (typeof v !== 'string') throw new Error(`${file}: row ${i + 1}: "${column}" is not a string`);
    return v;
  });
  if (texts.length === 0) throw new Error(`${file}: no sentences`);
  return Dataset.fromColumns({ text: texts });
}
