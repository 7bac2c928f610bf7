// Puts one element on the page, in the theme the query names (?el=titan|universa|digime,
// ?theme=light|dark). <universa-select-address> has no theme attribute: it draws on the page's
// colours (its popup is a native <dialog>), so its dark shot is the page in dark. It reads
// ?iv=1&cb=… itself; digime-writer comes back here from digi.me with the same query.
const query = new URLSearchParams(location.search);
const theme = query.get('theme') === 'dark' ? 'dark' : 'light';
document.documentElement.dataset.theme = theme;

window.__events = [];
for (const name of [
  'titan-upload-success',
  'titan-upload-error',
  'universa-contract',
  'universa-error',
  'digime-connected',
  'digime-connect-error',
  'digime-write-success',
  'digime-write-error',
]) {
  document.addEventListener(name, (e) => window.__events.push({ name, detail: { ...e.detail, bytes: undefined } }));
}

const setups = {
  'titan-uploader': (el) => {
    el.setAttribute('api-url', '/titan');
    el.setAttribute('token-url', '/app/titan/token');
    el.setAttribute('theme', theme);
  },
  'universa-select-address': (el) => {
    el.addresses = [{ address: '2dwybLfSX4vaeW4joP5odqvnpp2k1XiFcky5HB4NbEfchDYrSrZ', label: 'Main key' }];
  },
  'digime-writer': (el) => {
    el.setAttribute('backend-url', '/app/digime');
    el.setAttribute('theme', theme);
  },
};
const tag = { titan: 'titan-uploader', universa: 'universa-select-address', digime: 'digime-writer' }[query.get('el')];
if (!tag) throw new Error(`unknown ?el=${query.get('el')}`);

await customElements.whenDefined(tag);
const stage = document.createElement('div');
stage.id = 'stage';
const el = document.createElement(tag);
setups[tag](el);
stage.append(el);
document.body.append(stage);
await el.updateComplete;
document.documentElement.dataset.ready = 'true';
