#!/usr/bin/env node
// Before anything can load onnxruntime-node, which otherwise writes /tmp/mat-debug-<pid>.log and telemetry
// (a device id, a usage database) under ~/.cache/Microsoft. ORT_DISABLE_TELEMETRY=0 opts in.
process.env.ORT_DISABLE_TELEMETRY ??= '1';

// Imported after the line above (a static import would run first).
import('@contrastive/core')
  .then(async ({ exitOnFatalErrors, fatalErrorText, isVerbose }) => {
    // Errors escaping a command (a stream callback, a rejected promise nobody awaited) end the same way.
    exitOnFatalErrors('contrastive');
    const { main } = await import('./main.js');
    try {
      process.exitCode = await main(process.argv);
    } catch (err) {
      process.stderr.write(fatalErrorText('contrastive', err, isVerbose()));
      process.exitCode = 1;
    }
  })
  .catch((err: unknown) => {
    process.stderr.write(`contrastive: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
