/** The provisioner's typed error: a stable code and a message that names the image and what is wrong. */
export type ProvisionErrorCode =
  | 'IMAGE_NAME_INVALID'
  | 'IMAGE_TYPE_UNSUPPORTED'
  | 'NO_IMAGE_STORE'
  | 'IMAGE_NOT_FOUND'
  | 'IMAGE_INVALID'
  | 'LAYER_CORRUPT'
  | 'LAYER_HOSTILE'
  | 'COMMAND_INVALID'
  | 'VOLUME_INVALID'
  | 'ROOTFS_FAILED'
  | 'IMAGE_TOO_BIG'
  | 'REGISTRY_UNAUTHORIZED'
  | 'REGISTRY_FAILED';

export class ProvisionError extends Error {
  override readonly name = 'ProvisionError';
  constructor(
    readonly code: ProvisionErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
