import {
  type AttributeMessage,
  AttributeType,
  type ModelMessage,
  type NodeMessage,
  OnnxDataType,
  type OnnxDataTypeId,
  type TensorMessage,
  type ValueInfoMessage,
} from './proto.js';

/** A typed attribute value (ONNX distinguishes ints from floats, JavaScript does not). */
export type Attr =
  | { int: number }
  | { float: number }
  | { ints: number[] }
  | { floats: number[] }
  | { string: string };

export const int = (v: number): Attr => ({ int: v });
export const float = (v: number): Attr => ({ float: v });
export const ints = (v: number[]): Attr => ({ ints: v });

function attribute(name: string, a: Attr): AttributeMessage {
  if ('int' in a) return { name, type: AttributeType.INT, i: a.int };
  if ('float' in a) return { name, type: AttributeType.FLOAT, f: a.float };
  if ('ints' in a) return { name, type: AttributeType.INTS, ints: a.ints };
  if ('floats' in a) return { name, type: AttributeType.FLOATS, floats: a.floats };
  return { name, type: AttributeType.STRING, s: new TextEncoder().encode(a.string) };
}

function bytesOf(data: Float32Array | Int32Array | BigInt64Array): Uint8Array {
  // ONNX raw_data is little-endian, as typed arrays are on every platform Node runs on.
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** A dimension: a fixed size or a symbolic name (`batch_size`). */
export type Dim = number | string;

/**
 * Builds an ONNX graph node by node. Value names are generated (`<op>_<n>`) unless given; initializers are
 * stored as raw little-endian bytes.
 */
export class GraphBuilder {
  private readonly nodes: NodeMessage[] = [];
  private readonly initializers: TensorMessage[] = [];
  private readonly inputs: ValueInfoMessage[] = [];
  private readonly outputs: ValueInfoMessage[] = [];
  private readonly names = new Set<string>();
  private counter = 0;
  private readonly constants = new Map<string, string>();
  readonly domains = new Set<string>();

  private fresh(base: string): string {
    let name = base;
    while (this.names.has(name)) name = `${base}_${++this.counter}`;
    this.names.add(name);
    return name;
  }

  input(name: string, elemType: OnnxDataTypeId, dims: Dim[]): string {
    this.names.add(name);
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  output(name: string, elemType: OnnxDataTypeId, dims: Dim[]): void {
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  /** A weight or constant tensor. */
  initializer(name: string, dims: number[], data: Float32Array | Int32Array | BigInt64Array): string {
    const n = dims.reduce((a, d) => a * d, 1);
    if (data.length !== n)
      throw new Error(`ONNX initializer "${name}": ${data.length} values for shape [${dims}]`);
    const dataType =
      data instanceof Float32Array
        ? OnnxDataType.FLOAT
        : data instanceof Int32Array
          ? OnnxDataType.INT32
          : OnnxDataType.INT64;
    const unique = this.fresh(name);
    this.initializers.push({ name: unique, dims, data_type: dataType, raw_data: bytesOf(data) });
    return unique;
  }

  /** A float32 constant (shared between uses). */
  constFloat(values: number | number[], dims?: number[]): string {
    const arr = Array.isArray(values) ? values : [values];
    const shape = dims ?? (Array.isArray(values) ? [arr.length] : []);
    const key = `f:${shape}:${arr}`;
    const hit = this.constants.get(key);
    if (hit) return hit;
    const name = this.initializer('const_f', shape, Float32Array.from(arr));
    this.constants.set(key, name);
    return name;
  }

  /** An int64 constant (shapes, axes, indices). */
  constInt64(values: number | number[], dims?: number[]): string {
    const arr = Array.isArray(values) ? values : [values];
    const shape = dims ?? (Array.isArray(values) ? [arr.length] : []);
    const key = `i:${shape}:${arr}`;
    const hit = this.constants.get(key);
    if (hit) return hit;
    const name = this.initializer('const_i', shape, BigInt64Array.from(arr.map((v) => BigInt(v))));
    this.constants.set(key, name);
    return name;
  }

  /** Adds a node with one output and returns the output's name. */
  op(
    opType: string,
    inputs: string[],
    attrs: Record<string, Attr> = {},
    options: { domain?: string; name?: string } = {},
  ): string {
    return this.opN(opType, inputs, 1, attrs, options)[0]!;
  }

  /** Adds a node with `outputs` outputs. */
  opN(
    opType: string,
    inputs: string[],
    outputs: number,
    attrs: Record<string, Attr> = {},
    options: { domain?: string; name?: string } = {},
  ): string[] {
    const base = options.name ?? opType.toLowerCase();
    const outs = Array.from({ length: outputs }, (_, i) =>
      this.fresh(outputs === 1 ? base : `${base}_out${i}`),
    );
    if (options.domain) this.domains.add(options.domain);
    this.nodes.push({
      name: this.fresh(`node_${base}`),
      op_type: opType,
      domain: options.domain ?? '',
      input: inputs,
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outs;
  }

  /** Renames the value `from` to the graph output name `to` with an Identity node. */
  alias(from: string, to: string): void {
    this.names.add(to);
    this.nodes.push({
      name: this.fresh(`node_${to}`),
      op_type: 'Identity',
      domain: '',
      input: [from],
      output: [to],
      attribute: [],
    });
  }

  /**
   * Graphs are written in opset-17 forms (module writers included); an opset-18+ model takes a reduction's
   * `axes` as an input instead of an attribute.
   */
  private axesAsInput(node: NodeMessage): NodeMessage {
    if (node.domain !== '' || !REDUCE_AXES_INPUT_SINCE_18.has(node.op_type)) return node;
    const axes = node.attribute.find((a) => a.name === 'axes');
    if (!axes) return node;
    return {
      ...node,
      input: [node.input[0] ?? '', this.constInt64(axes.ints ?? [])],
      attribute: node.attribute.filter((a) => a !== axes),
    };
  }

  model(options: {
    opset: number;
    producerVersion: string;
    docString?: string;
    metadata?: Record<string, string>;
  }): ModelMessage {
    const opsets = [{ domain: '', version: options.opset }];
    for (const d of this.domains) opsets.push({ domain: d, version: 1 });
    const nodes = options.opset >= 18 ? this.nodes.map((n) => this.axesAsInput(n)) : this.nodes;
    return {
      ir_version: irVersionFor(options.opset),
      opset_import: opsets,
      producer_name: 'contrastive',
      producer_version: options.producerVersion,
      doc_string: options.docString,
      graph: {
        name: 'main',
        node: nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
      metadata_props: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
    };
  }
}

/** The ONNX IR version that goes with an opset (onnx's release table). */
function irVersionFor(opset: number): number {
  if (opset >= 23) return 11;
  if (opset >= 21) return 10;
  if (opset >= 19) return 9;
  return 8;
}

/** Reductions whose `axes` moved from an attribute to an input in opset 18 (ReduceSum did in 13). */
const REDUCE_AXES_INPUT_SINCE_18 = new Set([
  'ReduceL1',
  'ReduceL2',
  'ReduceLogSum',
  'ReduceLogSumExp',
  'ReduceMax',
  'ReduceMean',
  'ReduceMin',
  'ReduceProd',
  'ReduceSumSquare',
]);

function valueInfo(name: string, elemType: OnnxDataTypeId, dims: Dim[]): ValueInfoMessage {
  return {
    name,
    type: {
      tensor_type: {
        elem_type: elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) },
      },
    },
  };
}
