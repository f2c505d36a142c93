export {
  type AtomicOutput,
  OutputWriteError,
  openAtomicOutput,
  withAtomicOutput,
  writeJsonLinesAtomic,
  writeOutputFile,
  writeOutputFileSync,
} from './atomic_output.js';
export { InvalidUtf8Error, decodeUtf8, invalidUtf8Offset } from './utf8.js';
