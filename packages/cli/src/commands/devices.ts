import { type DeviceProbe, probeDevice } from '@contrastive/bert';
import type { EngineDevice } from '@contrastive/tensor-gpu';
import type { Command } from 'commander';
import { parseDevice } from '../engine.js';

/** The devices `contrastive devices` checks when none are named. */
const DEVICES: EngineDevice[] = ['cpu', 'webgpu', 'cuda'];

/**
 * `contrastive devices [names...]`: which `--device` values the onnx engine can start here (a one-node
 * onnxruntime session on each), one JSON line per device with the reason where it cannot.
 */
export async function runDevices(devices: EngineDevice[]): Promise<DeviceProbe[]> {
  const out: DeviceProbe[] = [];
  // One after another: two providers starting at once would interleave their own log lines.
  for (const d of devices.length > 0 ? devices : DEVICES) out.push(await probeDevice(d));
  return out;
}

export function registerDevices(program: Command): void {
  program
    .command('devices')
    .description('Which --device values (cpu, webgpu, cuda[:N]) the onnx engine can start on this machine')
    .argument(
      '[device...]',
      'devices to check (default: cpu webgpu cuda)',
      (value: string, previous: EngineDevice[] = []) => [...previous, parseDevice(value)],
    )
    .action(async (devices: EngineDevice[] | undefined) => {
      for (const line of await runDevices(devices ?? [])) process.stdout.write(`${JSON.stringify(line)}\n`);
    });
}
