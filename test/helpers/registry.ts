/** The test registry lives with the benchmarks (bench/test-registry.ts), which pull from it too; the tests use it from here. */
export { type PushedImage, type RegistryOptions, type RegistryUser, type RequestSeen, registryBinary, startRegistry, type TestRegistry } from '../../bench/test-registry.js';
