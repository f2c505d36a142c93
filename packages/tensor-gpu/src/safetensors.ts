import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { writeFileAtomic } from '@contrastive/core';

/** dtypes we read. Floating types are widened to float32; integer types come back as Int32Array. */
export type SafetensorsDType = 'F32' | 'F16' | 'BF16' | 'F64' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export interface SafetensorsTensor {
  dtype: SafetensorsDType;
  shape: number[];
  data: Float32Array | Int32Array;
}

export interface SafetensorsFile {
  tensors: Map<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

const BYTES: Record<SafetensorsDType, number> = {
  F32: 4,
  F16: 2,
  BF16: 2,
  F64: 8,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};
/** The Rust reference implementation refuses headers above 100 MB; so do we (no huge allocation from a bad length). */
const MAX_HEADER_BYTES = 100_000_000;

export class SafetensorsError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'SafetensorsError';
  }
}

interface HeaderEntry {
  dtype: SafetensorsDType;
  shape: number[];
  begin: number;
  end: number;
}

/** Parses and validates the header against the file size before any tensor data is touched. */
function parseHeader(file: string, headerBytes: Uint8Array, dataBytes: number) {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (e) {
    throw new SafetensorsError(file, `header is not valid JSON (${(e as Error).message})`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json))
    throw new SafetensorsError(file, 'header is not a JSON object');
  const entries = new Map<string, HeaderEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw && typeof raw === 'object') metadata = raw as Record<string, string>;
      continue;
    }
    const v = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!v || typeof v !== 'object')
      throw new SafetensorsError(file, `tensor "${name}": entry is not an object`);
    if (typeof v.dtype !== 'string' || !(v.dtype in BYTES)) {
      throw new SafetensorsError(file, `tensor "${name}": unsupported dtype ${JSON.stringify(v.dtype)}`);
    }
    const dtype = v.dtype as SafetensorsDType;
    if (!Array.isArray(v.shape) || !v.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(file, `tensor "${name}": invalid shape ${JSON.stringify(v.shape)}`);
    }
    const offs = v.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(file, `tensor "${name}": invalid data_offsets ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    const shape = v.shape as number[];
    const elements = shape.reduce((a, d) => a * d, 1);
    if (!Number.isSafeInteger(elements * BYTES[dtype]) || end - begin !== elements * BYTES[dtype]) {
      throw new SafetensorsError(
        file,
        `tensor "${name}": ${dtype}[${shape}] needs ${elements * BYTES[dtype]} bytes but data_offsets span ${end - begin}`,
      );
    }
    if (end > dataBytes) {
      throw new SafetensorsError(
        file,
        `tensor "${name}": data_offsets [${begin}, ${end}] run past the end of the data (${dataBytes} bytes; file truncated?)`,
      );
    }
    entries.set(name, { dtype, shape, begin, end });
  }
  const sorted = [...entries.entries()].sort((a, b) => a[1].begin - b[1].begin);
  for (let i = 1; i < sorted.length; i++) {
    const [prevName, prev] = sorted[i - 1]!;
    const [name, cur] = sorted[i]!;
    if (cur.begin < prev.end) throw new SafetensorsError(file, `tensors "${prevName}" and "${name}" overlap`);
  }
  return { entries, metadata };
}

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function decode(bytes: Uint8Array, dtype: SafetensorsDType, count: number): Float32Array | Int32Array {
  // Copy into an aligned buffer: a tensor's offset in the file need not be a multiple of its width.
  const buf = bytes.slice().buffer;
  const view = new DataView(buf);
  switch (dtype) {
    case 'F32':
      return new Float32Array(buf, 0, count);
    case 'F64': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    }
    case 'F16': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = f16ToF32(view.getUint16(i * 2, true));
      return out;
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32.
      const out = new Uint32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getUint16(i * 2, true) << 16;
      return new Float32Array(out.buffer);
    }
    case 'I64': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(i * 8, true));
      return out;
    }
    case 'I32':
      return new Int32Array(buf, 0, count);
    case 'I16': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true);
      return out;
    }
    case 'I8':
      return Int32Array.from(new Int8Array(buf, 0, count));
    case 'U8':
    case 'BOOL':
      return Int32Array.from(new Uint8Array(buf, 0, count));
  }
}

/** Parses a safetensors file held in memory. `file` names it in errors. */
export function parseSafetensors(bytes: Uint8Array, file = '<buffer>'): SafetensorsFile {
  if (bytes.byteLength < 8)
    throw new SafetensorsError(file, `file is ${bytes.byteLength} bytes: too short for a safetensors header`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES))
    throw new SafetensorsError(file, `header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  const headerLen = Number(n);
  if (8 + headerLen > bytes.byteLength) {
    throw new SafetensorsError(
      file,
      `header length ${headerLen} runs past the end of the file (${bytes.byteLength} bytes; truncated?)`,
    );
  }
  const dataStart = 8 + headerLen;
  const { entries, metadata } = parseHeader(file, bytes.subarray(8, dataStart), bytes.byteLength - dataStart);
  const tensors = new Map<string, SafetensorsTensor>();
  for (const [name, e] of entries) {
    const count = e.shape.reduce((a, d) => a * d, 1);
    tensors.set(name, {
      dtype: e.dtype,
      shape: e.shape,
      data: decode(bytes.subarray(dataStart + e.begin, dataStart + e.end), e.dtype, count),
    });
  }
  return { tensors, metadata };
}

/** Reads a safetensors file; the header is validated against the file size before the data is read. */
export function readSafetensors(path: string): SafetensorsFile {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size < 8)
      throw new SafetensorsError(path, `file is ${size} bytes: too short for a safetensors header`);
    const lenBuf = new Uint8Array(8);
    readSync(fd, lenBuf, 0, 8, 0);
    const n = new DataView(lenBuf.buffer).getBigUint64(0, true);
    if (n > BigInt(MAX_HEADER_BYTES))
      throw new SafetensorsError(path, `header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
    if (8n + n > BigInt(size))
      throw new SafetensorsError(
        path,
        `header length ${n} runs past the end of the file (${size} bytes; truncated?)`,
      );
    const bytes = new Uint8Array(size);
    let off = 0;
    while (off < size) {
      const r = readSync(fd, bytes, off, size - off, off);
      if (r === 0) throw new SafetensorsError(path, `unexpected end of file at byte ${off}`);
      off += r;
    }
    return parseSafetensors(bytes, path);
  } finally {
    closeSync(fd);
  }
}

export interface TensorToWrite {
  shape: number[];
  data: Float32Array | Int32Array;
  dtype?: 'F32' | 'I32' | 'I64';
}

/** Serializes tensors (sorted by name, as the reference writer does) with an 8-byte-aligned header. */
export function serializeSafetensors(
  tensors: Record<string, TensorToWrite>,
  metadata: Record<string, string> = { format: 'pt' },
): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  const parts: Uint8Array[] = [];
  for (const name of names) {
    const t = tensors[name]!;
    const count = t.shape.reduce((a, d) => a * d, 1);
    if (count !== t.data.length)
      throw new Error(`safetensors: tensor "${name}" has shape [${t.shape}] but ${t.data.length} values`);
    const dtype = t.dtype ?? (t.data instanceof Float32Array ? 'F32' : 'I64');
    let bytes: Uint8Array;
    if (dtype === 'I64') {
      const b = new BigInt64Array(count);
      for (let i = 0; i < count; i++) b[i] = BigInt(t.data[i]!);
      bytes = new Uint8Array(b.buffer);
    } else {
      bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    }
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    parts.push(bytes);
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.byteLength;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.byteLength;
  }
  return out;
}

/** Writes a safetensors file atomically (temp file + rename): a crash never leaves a half-written file. */
export function writeSafetensors(
  path: string,
  tensors: Record<string, TensorToWrite>,
  metadata?: Record<string, string>,
): void {
  writeFileAtomic(path, serializeSafetensors(tensors, metadata));
}
