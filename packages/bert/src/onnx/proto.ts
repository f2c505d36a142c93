import protobuf from 'protobufjs';

/**
 * The part of onnx.proto (IR version 8) that a model writer needs, with onnx.proto's own field numbers. Parsed
 * once with protobufjs; the messages are encoded from plain objects.
 */
const ONNX_PROTO = `
syntax = "proto3";
package onnx;
message AttributeProto {
  string name = 1;
  int32 type = 20;
  float f = 2;
  int64 i = 3;
  bytes s = 4;
  TensorProto t = 5;
  repeated float floats = 7;
  repeated int64 ints = 8;
}
message ValueInfoProto { string name = 1; TypeProto type = 2; string doc_string = 3; }
message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  string name = 3;
  string op_type = 4;
  string domain = 7;
  repeated AttributeProto attribute = 5;
}
message ModelProto {
  int64 ir_version = 1;
  repeated OperatorSetIdProto opset_import = 8;
  string producer_name = 2;
  string producer_version = 3;
  string doc_string = 6;
  GraphProto graph = 7;
  repeated StringStringEntryProto metadata_props = 14;
}
message StringStringEntryProto { string key = 1; string value = 2; }
message GraphProto {
  repeated NodeProto node = 1;
  string name = 2;
  repeated TensorProto initializer = 5;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
}
message TensorProto {
  repeated int64 dims = 1;
  int32 data_type = 2;
  string name = 8;
  bytes raw_data = 9;
}
message TensorShapeProto {
  message Dimension { oneof value { int64 dim_value = 1; string dim_param = 2; } }
  repeated Dimension dim = 1;
}
message TypeProto {
  message Tensor { int32 elem_type = 1; TensorShapeProto shape = 2; }
  oneof value { Tensor tensor_type = 1; }
}
message OperatorSetIdProto { string domain = 1; int64 version = 2; }
`;

/** TensorProto.DataType values. */
export const OnnxDataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9 } as const;
export type OnnxDataTypeId = (typeof OnnxDataType)[keyof typeof OnnxDataType];

/** AttributeProto.AttributeType values. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

export interface TensorMessage {
  name: string;
  dims: number[];
  data_type: OnnxDataTypeId;
  /** Little-endian element bytes. */
  raw_data: Uint8Array;
}

export interface AttributeMessage {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorMessage;
  floats?: number[];
  ints?: number[];
}

export interface NodeMessage {
  name: string;
  op_type: string;
  domain?: string;
  input: string[];
  output: string[];
  attribute: AttributeMessage[];
}

export interface ValueInfoMessage {
  name: string;
  type: {
    tensor_type: {
      elem_type: OnnxDataTypeId;
      shape: { dim: Array<{ dim_value: number } | { dim_param: string }> };
    };
  };
}

export interface ModelMessage {
  ir_version: number;
  opset_import: Array<{ domain: string; version: number }>;
  producer_name: string;
  producer_version: string;
  doc_string?: string;
  graph: {
    name: string;
    node: NodeMessage[];
    initializer: TensorMessage[];
    input: ValueInfoMessage[];
    output: ValueInfoMessage[];
  };
  metadata_props?: Array<{ key: string; value: string }>;
}

let modelType: protobuf.Type | undefined;

function modelProtoType(): protobuf.Type {
  modelType ??= protobuf.parse(ONNX_PROTO, { keepCase: true }).root.lookupType('onnx.ModelProto');
  return modelType;
}

/** Serializes a ModelProto (the bytes of a `.onnx` file). */
export function encodeModel(model: ModelMessage): Uint8Array {
  const type = modelProtoType();
  const err = type.verify(model);
  if (err) throw new Error(`ONNX model: ${err}`);
  // One buffer of about the model's size from the start, returned as it is: protobufjs otherwise doubles its
  // buffer as it writes and copies the result out, each time into fresh memory, several times the weights' bytes
  // (slow where first touches of memory are slow, as on these VMs). The weights plus 1 KiB for each node and
  // tensor (names, shapes, attributes: a few hundred bytes each; more only costs a growth).
  const { initializer, node } = model.graph;
  const weightBytes = initializer.reduce((n, t) => n + t.raw_data.byteLength, 0);
  const initial = protobuf.Writer.initialBufferSize;
  protobuf.Writer.initialBufferSize = weightBytes + 1024 * (node.length + initializer.length + 16);
  let writer: protobuf.Writer;
  try {
    writer = protobuf.Writer.create();
  } finally {
    protobuf.Writer.initialBufferSize = initial;
  }
  type.encode(model as unknown as Record<string, unknown>, writer);
  return writer.finish(true);
}

/** Parses `.onnx` bytes back (tests and inspection). */
export function decodeModel(bytes: Uint8Array): ModelMessage {
  const type = modelProtoType();
  return type.toObject(type.decode(bytes), {
    longs: Number,
    defaults: false,
    arrays: true,
  }) as unknown as ModelMessage;
}
