// `pnpm contrastive <command>`: the CLI from its sources, no build needed. pnpm runs root scripts in the
// repository root; the user's paths are relative to where they typed the command (INIT_CWD).
const bin = new URL('../packages/cli/src/bin.ts', import.meta.url).href;
if (process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);
await import(bin);

export {};
