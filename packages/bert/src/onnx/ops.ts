import { type GraphBuilder, int, ints } from './graph_builder.js';

// Activation and normalization nodes, written once for every ONNX graph we build (the inference graph, the
// training graphs and the head modules' ONNX forms).

/** Activations a BERT layer or a Dense module may use. */
export type OnnxActivation = 'gelu' | 'gelu_tanh' | 'relu' | 'tanh' | 'sigmoid' | 'identity';

/** x · ½(1 + erf(x/√2)): the exact GELU, in the pattern onnxruntime's optimizer fuses into one Gelu kernel. */
export function geluErf(g: GraphBuilder, x: string): string {
  const cdf = g.op('Add', [g.op('Erf', [g.op('Div', [x, g.constFloat(Math.SQRT2)])]), g.constFloat(1)]);
  return g.op('Mul', [g.op('Mul', [x, cdf]), g.constFloat(0.5)]);
}

/** ½x(1 + tanh(√(2/π)(x + 0.044715x³))): `gelu_new` / `gelu_pytorch_tanh`. */
export function geluTanh(g: GraphBuilder, x: string): string {
  const cube = g.op('Mul', [g.op('Mul', [x, x]), x]);
  const inner = g.op('Mul', [
    g.op('Add', [x, g.op('Mul', [cube, g.constFloat(0.044715)])]),
    g.constFloat(Math.sqrt(2 / Math.PI)),
  ]);
  return g.op('Mul', [
    g.op('Mul', [x, g.constFloat(0.5)]),
    g.op('Add', [g.op('Tanh', [inner]), g.constFloat(1)]),
  ]);
}

export function activation(g: GraphBuilder, act: OnnxActivation, x: string): string {
  switch (act) {
    case 'gelu':
      return geluErf(g, x);
    case 'gelu_tanh':
      return geluTanh(g, x);
    case 'relu':
      return g.op('Relu', [x]);
    case 'tanh':
      return g.op('Tanh', [x]);
    case 'sigmoid':
      return g.op('Sigmoid', [x]);
    case 'identity':
      return x;
  }
}

/** BERT's `hidden_act` as one of the activations above. */
export function bertActivation(hiddenAct: string): OnnxActivation {
  if (hiddenAct === 'gelu') return 'gelu';
  if (hiddenAct === 'relu') return 'relu';
  return 'gelu_tanh'; // gelu_new, gelu_pytorch_tanh (config validation admits no others)
}

/** x / max(‖x‖₂, 1e-12) along the last axis of `[N, D]`, as torch.nn.functional.normalize. */
export function l2Normalize(g: GraphBuilder, y: string): string {
  const norm = g.op('ReduceL2', [y], { axes: ints([1]), keepdims: int(1) });
  return g.op('Div', [y, g.op('Max', [norm, g.constFloat(1e-12)])]);
}
