export { type CellValue, Dataset, type Row, type TrainTestSplitOptions } from './dataset.js';
export {
  type DataLocation,
  DataError,
  type OnBadRow,
  SKIP_EXAMPLES,
  type SkippedRow,
  type SkipReport,
  describeSkipReport,
  emptySkipReport,
  mergeSkipReports,
} from './errors.js';
export { type NumberedLine, streamLines } from './lines.js';
export {
  type DelimitedReadOptions,
  type DelimitedWriteOptions,
  type LocatedRow,
  type RowStream,
  parseNumber,
  readCsv,
  readTsv,
  streamDelimited,
  writeCsv,
  writeTsv,
} from './delimited.js';
export {
  type LocatedObject,
  type ObjectStream,
  readJson,
  readJsonl,
  streamJsonObjects,
  streamJsonl,
  writeJsonl,
} from './jsonl.js';
export {
  type ParquetReadOptions,
  type ParquetWriteOptions,
  readParquet,
  streamParquet,
  writeParquet,
} from './parquet.js';
export {
  type LineAlignedOptions,
  readLineAligned,
  streamLineAligned,
  writeLineAligned,
} from './line_aligned.js';
export {
  type DataFileFormat,
  type ReadDataFileOptions,
  formatFromPath,
  readDataFile,
  writeDataFile,
} from './files.js';
export {
  type FlagFile,
  type FlagRecord,
  type FlagToRowsOptions,
  flagToRows,
  negativeColumnNames,
  negativeColumnsOf,
  nliToFlag,
  readFlagJsonl,
  rowsToFlag,
  writeFlagJsonl,
} from './flag.js';
export {
  NLI_LABEL_IDS,
  NLI_LABELS,
  type NliLabel,
  type NliLabelScheme,
  type NliLoadOptions,
  type NliTripletOptions,
  loadMnliTsv,
  loadSnliJsonl,
  loadSnliLines,
  nliToPairs,
  nliToScoredPairs,
  nliToSoftmaxRows,
  nliToTriplets,
  parseNliLabel,
  requireColumns,
  requireText,
  toNliDataset,
} from './recipes/nli.js';
export { STS_ORIGINAL_COLUMNS, loadGlueStsb, loadStsb, parseScore, readStsOriginal } from './recipes/sts.js';
export {
  type ClassificationLoadOptions,
  loadBanking77,
  loadClassificationCsv,
} from './recipes/classification.js';
export { type RetrievalColumns, loadFinancialQa, toRetrievalRows } from './recipes/retrieval.js';
export {
  type DataKind,
  type Layout,
  type ToLayoutOptions,
  detectKind,
  toLayout,
  validateScoredPairs,
} from './layouts.js';
export { type SplitOptions, splitDataset, splitNames } from './split.js';
export { Prompts, applyColumnPrompts, applyPrompt } from './prompts.js';
export { type HubDatasetOptions, PARQUET_REVISION, loadHubDataset, parquetFilesFor } from './hub.js';
