import type { TitanStrings } from './strings.js';

/** Simplified Chinese (`zh`, `zh-CN`, `zh-Hans`). */
const zh: TitanStrings = {
  resultsLabel: '已存储到 Titan',
  copy: '复制',
  copyLabel: '复制 {name} 的 CID',
  copied: '已复制',
  copyFailed: '请手动复制',
  open: '打开',
  share: '分享',
  shareLabel: '为 {name} 创建分享链接',
  shareFailed: '分享失败，重试',
  deduplicated: '此前已存储',
  verified: '已校验',
  verifiedLabel: 'CID 已在本设备上根据文件算出，与 Titan 存储的一致。',
  errorEmpty: '文件为空，Titan 不存储空文件。',
  errorCid: 'Titan 存储的内容与此文件不一致，文件未登记。',
  failed: '失败',
  cancelled: '已取消',
  hashing: '正在计算校验和…',
  errorToken: '无法登录 Titan Storage。',
  errorNetwork: '无法连接 Titan Storage。',
  errorUnauthorized: 'Titan Storage 拒绝了登录。',
  errorNode: '没有存储节点接收此文件。',
  errorExtraId: '应用无法登记此文件。',
  errorOther: '上传失败。',
  folder: '文件夹，{count} 个文件',
  errorFolder: '此文件夹无法作为一个资产存储。',
};

export default zh;
