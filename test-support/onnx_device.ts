import { GraphBuilder } from '../packages/bert/src/onnx/graph_builder.js';
import { OnnxDataType, encodeModel } from '../packages/bert/src/onnx/proto.js';
import { createSession, loadOnnxRuntime } from '../packages/bert/src/onnx/runtime.js';
import type { EngineDevice } from '../packages/tensor-gpu/src/engine.js';

const known = new Map<EngineDevice, Promise<boolean>>();

/**
 * Whether onnxruntime-node can start `device` here (once per process), for tests that run the onnx engine on a
 * GPU: a one-node session created on it. WebGPU needs a Vulkan device (a GPU driver, or Mesa's lavapipe on the
 * CPU: `apt-get install -t bookworm-backports mesa-vulkan-drivers`); CUDA its provider libraries and a GPU.
 */
export function deviceAvailable(device: EngineDevice): Promise<boolean> {
  let p = known.get(device);
  if (!p) {
    p = (async () => {
      const g = new GraphBuilder();
      g.output(g.op('Relu', [g.input('x', OnnxDataType.FLOAT, [2])]), OnnxDataType.FLOAT, [2]);
      const model = encodeModel(g.model({ opset: 17, producerVersion: '0', docString: 'device probe' }));
      try {
        const session = await createSession(await loadOnnxRuntime(), model, 1, device);
        await session.release();
        return true;
      } catch {
        return false;
      }
    })();
    known.set(device, p);
  }
  return p;
}
