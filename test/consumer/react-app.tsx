// A React 19 app: properties (a function, an array), attributes and `on<event>` handlers on the
// elements, typed by `upload-elements/react` (this file is type-checked, not just bundled).
import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import 'upload-elements/titan';
import 'upload-elements/universa';
import type {} from 'upload-elements/react';

const seen: Array<{ name: string; detail: unknown }> = [];
Object.assign(window, { __events: seen });
const ADDRESS = '2dwybLfSX4vaeW4joP5odqvnpp2k1XiFcky5HB4NbEfchDYrSrZ';

async function token(): Promise<string> {
  const res = await fetch('/app/titan/token', { method: 'POST' });
  return ((await res.json()) as { token: string }).token;
}

function App() {
  const [cid, setCid] = useState('');
  const [received, setReceived] = useState(0);
  return (
    <main>
      <titan-uploader
        api-url="/titan"
        extra-id-url="/app/titan/extra-id"
        tokenProvider={token}
        ontitan-upload-success={(e) => {
          seen.push({ name: e.type, detail: { cid: e.detail.cid } });
          setCid(e.detail.cid);
        }}
      />
      <universa-select-address
        locale="de"
        noInput
        // The sandbox issuer is on this page's origin.
        allowSameOrigin
        addresses={[{ address: ADDRESS, label: 'Main wallet' }]}
        onuniversa-contract={(e) => {
          seen.push({ name: e.type, detail: { cb: e.detail.cb, bytes: e.detail.bytes.byteLength } });
          setReceived(e.detail.bytes.byteLength);
        }}
      />
      <output id="cid">{cid}</output>
      <output id="contract">{received || ''}</output>
    </main>
  );
}

/** Never rendered: what the types must refuse. */
export function Refused() {
  return (
    <>
      <titan-uploader
        // @ts-expect-error: not a property of <titan-uploader> (TypeScript lets any name with a dash through)
        uploadUrl="/nowhere"
      />
      <titan-uploader
        // @ts-expect-error: the detail has no `hash`
        ontitan-upload-success={(e) => e.detail.hash}
      />
      {/* @ts-expect-error: addresses are objects, not strings */}
      <universa-select-address addresses={['2dwy…']} />
    </>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
document.documentElement.dataset.ready = 'true';
