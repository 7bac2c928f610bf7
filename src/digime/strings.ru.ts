import type { DigiMeWriterStrings } from './strings.js';

const ru: DigiMeWriterStrings = {
  connect: 'Подключить digi.me',
  connecting: 'Подключение к digi.me…',
  connected: 'digi.me подключён',
  disconnect: 'Отключить',
  missingBackend: 'Загрузчик не настроен: нет атрибута backend-url.',
  authorizeFailed: 'digi.me не подключился (ошибка {errorCode}).',
  connectFailed: 'Не удалось подключить digi.me: {message}',
  notConnected: 'Подключите digi.me, прежде чем записывать файлы.',
  note: 'Файлы шифруются в вашем браузере перед отправкой.',
  results: 'Записано в digi.me',
  writing: 'Запись…',
  delivered: 'Доставлено',
  pending: 'Ожидает',
  failed: 'Ошибка: {message}',
};

export default ru;
