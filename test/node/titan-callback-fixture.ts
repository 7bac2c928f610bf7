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
