/**
 * Upstream sockets read into this one buffer (Node's `onread` option): no allocation and no
 * stream machinery per read. What a reader keeps past its callback it must copy: the next read
 * overwrites it.
 */
export const SHARED_READ_BUFFER = Buffer.allocUnsafe(64 * 1024);
