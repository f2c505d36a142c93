// Devices of the onnx engine, apart from the resolver (engine.ts loads tfjs): tools that only parse a device,
// such as the bench's parent process, import this file alone.

/**
 * Where the onnx engine runs its graphs (sentence-transformers' `device`): `cpu` (the default), `webgpu`
 * (onnxruntime-node's built-in WebGPU provider: a GPU through Vulkan, Metal or Direct3D 12), `cuda` or
 * `cuda:<index>` (onnxruntime's CUDA provider, which onnxruntime-node's install script fetches on linux/x64).
 * Operators a GPU provider lacks run on the CPU.
 */
export type EngineDevice = 'cpu' | 'webgpu' | 'cuda' | `cuda:${number}`;

/** Parses a user-given device; the error names the option. */
export function parseEngineDevice(value: string, option = 'device'): EngineDevice {
  if (value === 'cpu' || value === 'webgpu' || value === 'cuda' || /^cuda:(0|[1-9]\d*)$/.test(value))
    return value as EngineDevice;
  throw new Error(`${option} must be cpu, webgpu, cuda or cuda:<index>, got "${value}"`);
}
