import type { DigiMeWriterStrings } from './strings.js';

/** Simplified Chinese (`zh`, `zh-CN`, `zh-Hans`). */
const zh: DigiMeWriterStrings = {
  connect: '连接 digi.me',
  connecting: '正在连接 digi.me…',
  connected: '已连接 digi.me',
  disconnect: '断开连接',
  missingBackend: '此上传组件尚未配置：缺少 backend-url 属性。',
  authorizeFailed: 'digi.me 未能连接（错误 {errorCode}）。',
  connectFailed: '无法连接 digi.me：{message}',
  notConnected: '请先连接 digi.me，再写入文件。',
  note: '文件在发送前会先在您的浏览器中加密。',
  results: '已写入 digi.me',
  writing: '正在写入…',
  delivered: '已送达',
  pending: '待处理',
  failed: '失败：{message}',
};

export default zh;
