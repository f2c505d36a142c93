import { probeDevice } from '../packages/bert/src/onnx/runtime.js';
import type { EngineDevice } from '../packages/tensor-gpu/src/device.js';

const known = new Map<EngineDevice, Promise<boolean>>();

/**
 * Whether onnxruntime-node can start `device` here (once per process; `probeDevice`), for tests that run the onnx
 * engine on a GPU. WebGPU needs a Vulkan device (a GPU driver, or Mesa's lavapipe on the CPU:
 * `apt-get install -t bookworm-backports mesa-vulkan-drivers`); CUDA its provider libraries and a GPU.
 */
export function deviceAvailable(device: EngineDevice): Promise<boolean> {
  let p = known.get(device);
  if (!p) {
    p = probeDevice(device).then((r) => r.available);
    known.set(device, p);
  }
  return p;
}
