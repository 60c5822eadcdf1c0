/** The test images' writer lives with the benchmarks (bench/test-image.ts), which build the same image; the tests use it from here. */
export { busyboxLayer, BUSYBOX, haveBusybox, type ImageSpec, type TarEntry, tarOf, writeBusyboxAci, writeDockerArchive, writeOciLayout } from '../../bench/test-image.js';
