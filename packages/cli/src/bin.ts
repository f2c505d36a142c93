#!/usr/bin/env node
// Before anything can load onnxruntime-node, which otherwise writes /tmp/mat-debug-<pid>.log and telemetry
// (a device id, a usage database) under ~/.cache/Microsoft. ORT_DISABLE_TELEMETRY=0 opts in.
process.env.ORT_DISABLE_TELEMETRY ??= '1';

// Imported after the line above (a static import would run first).
import('./main.js')
  .then(({ main }) => main(process.argv))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`contrastive: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
