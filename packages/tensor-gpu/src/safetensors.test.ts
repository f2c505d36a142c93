import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSafetensors, readSafetensors, serializeSafetensors, writeSafetensors } from './safetensors.js';

function handMade(header: object, data: Uint8Array): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

describe('safetensors', () => {
  it('round-trips float32 and int tensors through a file, header 8-byte aligned with format pt', () => {
    const dir = mkdtempSync(join(tmpdir(), 'st-'));
    const path = join(dir, 'model.safetensors');
    const w = new Float32Array([1.5, -2, 3.25, 0, 1e-8, 7]);
    writeSafetensors(path, {
      'b.weight': { shape: [2, 3], data: w },
      'a.ids': { shape: [3], data: new Int32Array([1, -2, 3]) },
    });
    const bytes = readFileSync(path);
    const headerLen = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    expect((8 + headerLen) % 8).toBe(0);
    const f = readSafetensors(path);
    expect(f.metadata).toEqual({ format: 'pt' });
    expect(f.tensors.get('b.weight')!.shape).toEqual([2, 3]);
    expect(Array.from(f.tensors.get('b.weight')!.data)).toEqual(Array.from(w));
    expect(f.tensors.get('a.ids')!.dtype).toBe('I64');
    expect(Array.from(f.tensors.get('a.ids')!.data)).toEqual([1, -2, 3]);
  });

  it('widens F16 and BF16 to float32', () => {
    // F16: 1.0 = 0x3C00, -2.0 = 0xC000, 0.5 = 0x3800, 65504 = 0x7BFF; BF16 of 1.0 = 0x3F80, of -3.5 = 0xC060
    const f16 = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x3800, 0x7bff]).buffer);
    const bf16 = new Uint8Array(new Uint16Array([0x3f80, 0xc060]).buffer);
    const data = new Uint8Array(12);
    data.set(f16, 0);
    data.set(bf16, 8);
    const f = parseSafetensors(
      handMade(
        {
          h: { dtype: 'F16', shape: [4], data_offsets: [0, 8] },
          b: { dtype: 'BF16', shape: [2], data_offsets: [8, 12] },
        },
        data,
      ),
    );
    expect(Array.from(f.tensors.get('h')!.data)).toEqual([1, -2, 0.5, 65504]);
    expect(Array.from(f.tensors.get('b')!.data)).toEqual([1, -3.5]);
  });

  it('rejects bad files with a message naming the file and the problem, before allocating', () => {
    const dir = mkdtempSync(join(tmpdir(), 'st-'));
    const good = serializeSafetensors({ w: { shape: [4], data: new Float32Array(4) } });
    const truncated = join(dir, 'truncated.safetensors');
    writeFileSync(truncated, good.subarray(0, good.length - 3));
    expect(() => readSafetensors(truncated)).toThrow(
      /truncated\.safetensors: tensor "w": data_offsets \[0, 16\] run past the end/,
    );

    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 62n, true);
    expect(() => parseSafetensors(huge, 'huge')).toThrow(/huge: header length \d+ exceeds/);
    const long = new Uint8Array(16);
    new DataView(long.buffer).setBigUint64(0, 1000n, true);
    expect(() => parseSafetensors(long, 'x')).toThrow(/runs past the end of the file/);

    const d = new Uint8Array(16);
    expect(() =>
      parseSafetensors(handMade({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } }, d)),
    ).toThrow(/needs 12 bytes but data_offsets span 16/);
    expect(() =>
      parseSafetensors(
        handMade(
          {
            a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
            b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
          },
          d,
        ),
      ),
    ).toThrow(/"a" and "b" overlap/);
    expect(() =>
      parseSafetensors(handMade({ a: { dtype: 'Q4', shape: [2], data_offsets: [0, 1] } }, d)),
    ).toThrow(/unsupported dtype "Q4"/);
    expect(() =>
      parseSafetensors(handMade({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, d)),
    ).toThrow(/invalid shape/);
    expect(() => parseSafetensors(new Uint8Array(3), 'tiny')).toThrow(/tiny: file is 3 bytes/);
    const notJson = new Uint8Array(12);
    new DataView(notJson.buffer).setBigUint64(0, 4n, true);
    notJson.set([123, 123, 123, 123], 8);
    expect(() => parseSafetensors(notJson)).toThrow(/header is not valid JSON/);
  });
});
