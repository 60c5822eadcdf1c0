/**
 * gpu/nvidia: a task sees only the GPUs the agent gave it (agent/gpus.ts keeps which index belongs
 * to which container): CUDA_VISIBLE_DEVICES and NVIDIA_VISIBLE_DEVICES name them, and on cgroup v1
 * the devices cgroup denies the task every other NVIDIA GPU device (character major 195, minor =
 * the GPU's index, as /dev/nvidia<index>). The control devices (/dev/nvidiactl 195:255,
 * nvidia-uvm) stay allowed, as Mesos does. On cgroup v2 only the environment applies.
 */
import type { DeviceRule } from './types.js';
import type { LaunchContribution, TaskContainer, TaskIsolator } from './task-isolator.js';

export const NVIDIA_MAJOR = 195;

/** Deny rules for every GPU of the agent that is not the task's. */
export function gpuDenyRules(all: readonly number[], mine: readonly number[]): DeviceRule[] {
  const own = new Set(mine);
  return all.filter((i) => !own.has(i)).map((i) => ({ type: 'c', major: NVIDIA_MAJOR, minor: i, access: 'rwm' }));
}

export function gpuEnvironment(mine: readonly number[]): Record<string, string> {
  const list = [...mine].sort((a, b) => a - b).join(',');
  // An empty CUDA_VISIBLE_DEVICES hides every GPU from CUDA; NVIDIA's runtime reads "void" for none.
  return { CUDA_VISIBLE_DEVICES: list, NVIDIA_VISIBLE_DEVICES: list === '' ? 'void' : list };
}

export function createGpuIsolator(allIndices: () => readonly number[]): TaskIsolator {
  return {
    name: 'gpu/nvidia',
    async prepare(c: TaskContainer): Promise<LaunchContribution> {
      const mine = c.limits.gpus ?? [];
      return { env: gpuEnvironment(mine), denyDevices: gpuDenyRules(allIndices(), mine) };
    },
  };
}
