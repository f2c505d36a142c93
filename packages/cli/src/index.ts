export { main, buildProgram } from './main.js';
export { runGpl, GPL_DEFAULTS } from './gpl.js';
export type { GplOptions, GplResult, GplHardNegatives, GplTuple } from './gpl.js';
