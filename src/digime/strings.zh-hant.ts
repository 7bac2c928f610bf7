import type { DigiMeWriterStrings } from './strings.js';

/** Traditional Chinese (`zh-Hant`, `zh-TW`, `zh-HK`, `zh-MO`), in Taiwan's wording. */
const zhHant: DigiMeWriterStrings = {
  connect: '連接 digi.me',
  connecting: '正在連接 digi.me…',
  connected: '已連接 digi.me',
  disconnect: '中斷連接',
  missingBackend: '此上傳元件尚未設定：缺少 backend-url 屬性。',
  authorizeFailed: 'digi.me 未能連接（錯誤 {errorCode}）。',
  connectFailed: '無法連接 digi.me：{message}',
  notConnected: '請先連接 digi.me，再寫入檔案。',
  note: '檔案在傳送前會先在您的瀏覽器中加密。',
  results: '已寫入 digi.me',
  writing: '正在寫入…',
  delivered: '已送達',
  pending: '待處理',
  failed: '失敗：{message}',
};

export default zhHant;
