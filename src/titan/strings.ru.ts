import type { TitanStrings } from './strings.js';

const ru: TitanStrings = {
  resultsLabel: 'Сохранено в Titan',
  copy: 'Копировать',
  copyLabel: 'Копировать CID файла {name}',
  copied: 'Скопировано',
  copyFailed: 'Скопируйте вручную',
  open: 'Открыть',
  share: 'Поделиться',
  shareLabel: 'Создать ссылку для доступа к {name}',
  shareFailed: 'Не удалось: повторить',
  deduplicated: 'уже сохранён',
  verified: 'проверен',
  verifiedLabel: 'CID вычислен по файлу на этом устройстве и совпадает с тем, что сохранил Titan.',
  errorEmpty: 'Файл пуст; Titan не хранит пустые файлы.',
  errorCid: 'Titan сохранил не те байты, что в этом файле; файл не зарегистрирован.',
  failed: 'Ошибка',
  cancelled: 'Отменено',
  hashing: 'Вычисление контрольной суммы…',
  errorToken: 'Не удалось войти в Titan Storage.',
  errorNetwork: 'Titan Storage недоступен.',
  errorUnauthorized: 'Titan Storage отклонил вход.',
  errorNode: 'Ни один узел хранения не принял файл.',
  errorExtraId: 'Приложению не удалось зарегистрировать файл.',
  errorOther: 'Загрузка не удалась.',
  folder: 'папка, файлов: {count}',
  errorFolder: 'Эту папку нельзя сохранить как один объект.',
};

export default ru;
