import type { TitanStrings } from './strings.js';

/** Traditional Chinese (`zh-Hant`, `zh-TW`, `zh-HK`, `zh-MO`), in Taiwan's wording. */
const zhHant: TitanStrings = {
  resultsLabel: '已儲存到 Titan',
  copy: '複製',
  copyLabel: '複製 {name} 的 CID',
  copied: '已複製',
  copyFailed: '請手動複製',
  open: '開啟',
  share: '分享',
  shareLabel: '為 {name} 建立分享連結',
  shareFailed: '分享失敗，重試',
  deduplicated: '先前已儲存',
  verified: '已驗證',
  verifiedLabel: 'CID 已在本裝置上根據檔案算出，與 Titan 儲存的一致。',
  errorEmpty: '檔案為空，Titan 不儲存空檔案。',
  errorCid: 'Titan 儲存的內容與此檔案不一致，檔案未登錄。',
  failed: '失敗',
  cancelled: '已取消',
  hashing: '正在計算檢查碼…',
  errorToken: '無法登入 Titan Storage。',
  errorNetwork: '無法連線到 Titan Storage。',
  errorUnauthorized: 'Titan Storage 拒絕了登入。',
  errorNode: '沒有儲存節點接收此檔案。',
  errorExtraId: '應用程式無法登錄此檔案。',
  errorOther: '上傳失敗。',
  folder: '資料夾，{count} 個檔案',
  errorFolder: '此資料夾無法作為單一資產儲存。',
};

export default zhHant;
