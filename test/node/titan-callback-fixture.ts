import type { UploadNotification } from '../../src/titan/protocol.js';

/** The tenant secret the callback tests sign with. */
export const SECRET = 'tenant-secret';

/** An upload notification as Titan's job/handler_upload_notify.go sends it. */
export const NOTE: UploadNotification = {
  ExtraID: 'x-1',
  TenantID: 'tenant',
  UserID: 'tenant/alice',
  AssetName: 'a.txt',
  AssetCID: 'bafkreiexample',
  AssetType: 'file',
  AssetSize: 12,
  GroupID: 0,
  CreatedTime: '2025-01-02T03:04:05Z',
  AssetDirectUrl: 'http://127.0.0.1/x',
};

/** 2 MiB of JSON, over the handlers' 1 MiB default. */
export const oversized = () => JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) });

/** 2 MiB of JSON padding as a stream: sent chunked, with no Content-Length to refuse it by. */
export const streamedOversized = () =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('{"pad":"'));
      for (let sent = 0; sent < 2 * 1024 * 1024; sent += 64 * 1024) controller.enqueue(new Uint8Array(64 * 1024).fill(120));
      controller.enqueue(new TextEncoder().encode('"}'));
      controller.close();
    },
  });

/**
 * POSTs `streamedOversized()` to `url` and answers the status and `Connection` header the server
 * gave, or `reset` when the connection was torn down before the answer could be read: a server
 * that stops reading and closes may leave the client writing into a reset socket (Node servers
 * do not linger), which is an answer too: the request ended, it did not hang.
 */
export async function postStreamedOversized(url: string): Promise<{ status: number; connection: string | null } | 'reset'> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      body: streamedOversized(),
      duplex: 'half',
      signal: AbortSignal.timeout(10_000),
    } as RequestInit);
    return { status: response.status, connection: response.headers.get('connection') };
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code;
    if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET') return 'reset';
    throw err;
  }
}
