import { type ModelMessage, type NodeMessage, OnnxDataType, type TensorMessage } from './proto.js';

export interface QuantizeOptions {
  /**
   * One scale per output column of each weight (default) or one per weight. Per-channel keeps columns of very
   * different ranges apart, which is what keeps the similarities' order (Spearman) close to float32's.
   */
  perChannel?: boolean;
}

function floatsOf(t: TensorMessage): Float32Array {
  // raw_data may sit at an odd offset of a larger buffer: copy to an aligned one.
  const bytes = Uint8Array.from(t.raw_data);
  return new Float32Array(bytes.buffer, 0, bytes.byteLength / 4);
}

/**
 * Dynamic int8 quantization of a float32 model, as onnxruntime's `quantize_dynamic` writes it for MatMul:
 * every MatMul whose right-hand side is a 2-D float weight `[in, out]` becomes
 * `DynamicQuantizeLinear(x) → MatMulInteger(x_u8, W_i8, x_zero_point) → Cast → × x_scale × w_scale`.
 * Weights are symmetric int8 (zero point 0, scale max|w| / 127 per column or per tensor); activations are
 * quantized to uint8 per call. Plain ONNX operators (opset 11+), so onnxruntime (Node, Python, web) and
 * transformers.js run it. Other nodes (embeddings, LayerNorm, attention products) stay float32.
 */
export function quantizeDynamicInt8(model: ModelMessage, options: QuantizeOptions = {}): ModelMessage {
  const perChannel = options.perChannel ?? true;
  const initializers = new Map(model.graph.initializer.map((t) => [t.name, t]));
  const used = new Set<string>([
    ...model.graph.initializer.map((t) => t.name),
    ...model.graph.input.map((v) => v.name),
    ...model.graph.node.flatMap((n) => [...n.input, ...n.output]),
  ]);
  const fresh = (base: string) => {
    let name = base;
    for (let k = 1; used.has(name); k++) name = `${base}_${k}`;
    used.add(name);
    return name;
  };
  // A weight may feed several MatMuls: quantize it once; the float original goes if nothing else reads it.
  const quantized = new Map<string, { q: string; scale: string }>();
  const newInitializers: TensorMessage[] = [];
  const nodes: NodeMessage[] = [];
  for (const node of model.graph.node) {
    const w = node.op_type === 'MatMul' && !node.domain ? initializers.get(node.input[1] ?? '') : undefined;
    if (!w || w.data_type !== OnnxDataType.FLOAT || w.dims.length !== 2) {
      nodes.push(node);
      continue;
    }
    let qw = quantized.get(w.name);
    if (!qw) {
      const [rows, cols] = w.dims as [number, number];
      const data = floatsOf(w);
      const scales = new Float32Array(perChannel ? cols : 1);
      for (let r = 0; r < rows; r++)
        for (let c = 0; c < cols; c++) {
          const k = perChannel ? c : 0;
          scales[k] = Math.max(scales[k]!, Math.abs(data[r * cols + c]!));
        }
      for (let k = 0; k < scales.length; k++) scales[k] = scales[k]! > 0 ? scales[k]! / 127 : 1;
      const q = new Int8Array(rows * cols);
      for (let r = 0; r < rows; r++)
        for (let c = 0; c < cols; c++) {
          const s = scales[perChannel ? c : 0]!;
          q[r * cols + c] = Math.max(-127, Math.min(127, Math.round(data[r * cols + c]! / s)));
        }
      qw = { q: fresh(`${w.name}_quantized`), scale: fresh(`${w.name}_scale`) };
      newInitializers.push(
        {
          name: qw.q,
          dims: [rows, cols],
          data_type: OnnxDataType.INT8,
          raw_data: new Uint8Array(q.buffer),
        },
        {
          name: qw.scale,
          dims: perChannel ? [cols] : [],
          data_type: OnnxDataType.FLOAT,
          raw_data: new Uint8Array(scales.buffer),
        },
      );
      quantized.set(w.name, qw);
    }
    const base = node.name || fresh('matmul');
    const [xq, xScale, xZero] = [fresh(`${base}_x_q`), fresh(`${base}_x_scale`), fresh(`${base}_x_zp`)];
    const [acc, accFloat, scaled] = [fresh(`${base}_i32`), fresh(`${base}_f32`), fresh(`${base}_xs`)];
    const op = (
      op_type: string,
      input: string[],
      output: string[],
      attribute: NodeMessage['attribute'] = [],
    ) => nodes.push({ name: fresh(`${base}_${op_type}`), op_type, domain: '', input, output, attribute });
    op('DynamicQuantizeLinear', [node.input[0]!], [xq, xScale, xZero]);
    op('MatMulInteger', [xq, qw.q, xZero], [acc]);
    op('Cast', [acc], [accFloat], [{ name: 'to', type: 2, i: OnnxDataType.FLOAT }]);
    op('Mul', [accFloat, xScale], [scaled]);
    op('Mul', [scaled, qw.scale], [node.output[0]!]);
  }
  const stillRead = new Set(nodes.flatMap((n) => n.input));
  return {
    ...model,
    doc_string:
      `${model.doc_string ?? ''} (dynamic int8 quantization${perChannel ? ', per channel' : ''})`.trim(),
    graph: {
      ...model.graph,
      node: nodes,
      initializer: [
        ...model.graph.initializer.filter((t) => !quantized.has(t.name) || stillRead.has(t.name)),
        ...newInitializers,
      ],
    },
  };
}
