#!/usr/bin/env node
// Static imports run before the line below: this one loads nothing but node:child_process.
import { mallocTunedEnv, rerunWithEnv, underInspector } from './malloc_tunables.js';

// Before anything can load onnxruntime-node, which otherwise writes /tmp/mat-debug-<pid>.log and telemetry
// (a device id, a usage database) under ~/.cache/Microsoft. ORT_DISABLE_TELEMETRY=0 opts in.
process.env.ORT_DISABLE_TELEMETRY ??= '1';

// Model runs want glibc malloc tunables (malloc_tunables.ts), which glibc reads only when a process starts: on
// glibc the command runs again in a child started with them, unless GLIBC_TUNABLES already sets them (the user's
// choice, or this is that child) or an inspector is attached.
const tuned = underInspector() ? undefined : mallocTunedEnv(process.env);
if (tuned) rerunWithEnv(tuned);
else {
  // Imported after the lines above (a static import would run first).
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
}
