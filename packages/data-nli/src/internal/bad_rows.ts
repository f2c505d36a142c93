import { DataError, type OnBadRow, SKIP_EXAMPLES, type SkipReport, emptySkipReport } from '../errors.js';

/**
 * Applies the user's bad-row policy in one place: `throw` raises the DataError, `skip` counts it and
 * keeps the first few locations.
 */
export class BadRowPolicy {
  readonly report: SkipReport = emptySkipReport();

  constructor(readonly onBadRow: OnBadRow = 'throw') {}

  /** Throws in `throw` mode; records the row in `skip` mode. */
  bad(error: DataError): void {
    if (this.onBadRow === 'throw') throw error;
    this.report.count++;
    if (this.report.examples.length < SKIP_EXAMPLES) {
      this.report.examples.push({ file: error.file, line: error.line, reason: error.reason });
    }
  }

  /** Records a row that is always skipped by convention (e.g. SNLI's `-` gold label), whatever the mode. */
  skipAlways(error: DataError): void {
    this.report.count++;
    if (this.report.examples.length < SKIP_EXAMPLES) {
      this.report.examples.push({ file: error.file, line: error.line, reason: error.reason });
    }
  }

  /** Runs `parse`; a DataError it throws goes through the policy (undefined when skipped). */
  attempt<T>(parse: () => T): T | undefined {
    try {
      return parse();
    } catch (e) {
      if (e instanceof DataError) {
        this.bad(e);
        return undefined;
      }
      throw e;
    }
  }
}
