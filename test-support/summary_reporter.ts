import type { Reporter } from 'vitest/reporters';

interface TaskLike {
  type: string;
  mode?: string;
  result?: { state?: string };
  tasks?: TaskLike[];
}

/** Ends the run with the plain closing line CI reads: "N passed, N failed[, N skipped]". */
export default class SummaryReporter implements Reporter {
  onFinished(files: TaskLike[] = [], errors: unknown[] = []): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const walk = (t: TaskLike) => {
      if (t.type === 'test') {
        if (t.result?.state === 'pass') passed++;
        else if (t.result?.state === 'fail') failed++;
        else skipped++;
      }
      t.tasks?.forEach(walk);
    };
    for (const f of files) {
      const before = passed + failed + skipped;
      walk(f);
      // A file that failed to load has no tests: count it as a failure so it cannot pass silently.
      if (passed + failed + skipped === before && f.result?.state === 'fail') failed++;
    }
    failed += errors.length;
    // Printed after vitest's own summary (queued behind the default reporter's output).
    setImmediate(() =>
      process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`),
    );
  }
}
