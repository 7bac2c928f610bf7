import { expect, oneEvent, waitUntil } from '@open-wc/testing';
import { clearPostboxes, loadPostbox } from '../../src/digime/store.js';
import type { DigiMeWriter } from '../../src/digime/index.js';
import {
  connectThroughDigiMe,
  FRAME_URL,
  frameEvents,
  containsBytes,
  fromBase64,
  jwtClaims,
  knob,
  openFrame,
  pickFiles,
  resetSandbox,
  sandboxLog,
  shadow,
  writerIn,
} from './fixtures/digime-helpers.js';
import { recordOnce } from './situation.js';

const MARKER = 'upload-elements digime plaintext marker';

function pickedBytes(): Uint8Array {
  const text = new TextEncoder().encode(`${MARKER}\n`.repeat(40));
  const noise = crypto.getRandomValues(new Uint8Array(1000));
  const out = new Uint8Array(text.length + noise.length);
  out.set(text);
  out.set(noise, text.length);
  return out;
}

async function connectedWriter(frame: HTMLIFrameElement): Promise<DigiMeWriter> {
  await connectThroughDigiMe(frame);
  const el = await writerIn(frame);
  await waitUntil(() => !!el.postboxId, 'the writer did not connect', { timeout: 10_000 });
  return el;
}

/** A fresh sandbox, no postbox remembered, nothing in the session. */
async function fresh(): Promise<void> {
  await resetSandbox();
  await clearPostboxes();
  sessionStorage.clear();
}

/** One step of a situation, run once for the its of the describe it is called in. */
const step = <T>(run: () => Promise<T>) => recordOnce(run);

/** A situation from a fresh start, run once for the its of the describe it is called in. */
const situation = <T>(run: () => Promise<T>) => recordOnce(run, fresh);

/** Runs `use` with a frame that is removed afterwards. */
async function inFrame<T>(use: (frame: HTMLIFrameElement) => Promise<T>, src?: string): Promise<T> {
  const frame = await openFrame(src);
  try {
    return await use(frame);
  } finally {
    frame.remove();
  }
}

type FrameFile = typeof File;
const frameFile = (frame: HTMLIFrameElement): FrameFile => (frame.contentWindow as Window & typeof globalThis).File;

describe('<digime-writer> connect → write through the sandbox', () => {
  // One user's way through, in order: each describe's before takes the next step in the same frame.
  describe('when a user connects, writes a picked file and reloads the page', () => {
    let frame: HTMLIFrameElement;
    let el: DigiMeWriter;
    after(() => frame?.remove());

    describe('when the page opens', () => {
      const run = situation(async () => {
        frame = await openFrame();
        const first = await writerIn(frame);
        return {
          connectLabel: shadow(first, '[part="connect-button"]')?.textContent?.trim(),
          dashboardHidden: shadow(first, '[part="dashboard"]')?.hidden,
        };
      });

      it('offers to connect digi.me', () => {
        expect(run().connectLabel).to.equal('Connect digi.me');
      });

      it('hides the Dashboard', () => {
        expect(run().dashboardHidden).to.equal(true);
      });
    });

    describe('when the user has connected through digi.me', () => {
      const run = step(async () => {
        await connectThroughDigiMe(frame);
        el = await writerIn(frame);
        await waitUntil(() => !!el.postboxId, 'the writer did not connect', { timeout: 10_000 });
        const events = frameEvents(frame);
        const search = frame.contentWindow!.location.search;
        await el.updateComplete;
        return {
          postboxId: el.postboxId,
          events,
          search,
          status: shadow(el, '[part="status"]')?.textContent,
          dashboardHidden: shadow(el, '[part="dashboard"]')?.hidden,
          exchange: (await sandboxLog('app-digime')).find((e) => e.path === '/app/digime/exchange'),
          saved: await loadPostbox(new URL('/app/digime', location.href).href),
        };
      });

      it('fires digime-connected with the postbox', () => {
        expect(run().events).to.deep.equal([{ type: 'digime-connected', detail: { postboxId: run().postboxId } }]);
      });

      it('cleans the return parameters from the address bar', () => {
        expect(run().search).to.equal('');
      });

      it('says it is connected', () => {
        expect(run().status).to.contain('Connected to digi.me');
      });

      it('shows the Dashboard', () => {
        expect(run().dashboardHidden).to.equal(false);
      });

      it("carries digi.me's redirect parameters (the postbox and its key) to the backend's exchange", () => {
        const { exchange, postboxId } = run();
        expect(exchange?.status).to.equal(200);
        expect(exchange?.body).to.include({ postboxId });
        expect((exchange!.body as { publicKey: string }).publicKey).to.contain('BEGIN RSA PUBLIC KEY');
      });

      it('remembers the postbox in IndexedDB for this backend', () => {
        expect(run().saved?.postboxId).to.equal(run().postboxId);
      });
    });

    describe('when a picked file is written', () => {
      const bytes = pickedBytes();
      const run = step(async () => {
        el.accounts = [{ accountId: 'acc-browser' }];
        el.tags = ['browser-test'];
        el.reference = ['ref-1'];
        pickFiles(frame, el, [{ name: 'notes.txt', type: 'text/plain', bytes }]);
        await waitUntil(() => el.uppy.getFiles().length === 1, 'the Dashboard did not take the file');
        await el.updateComplete;
        await waitUntil(() => shadow(el, '.uppy-StatusBar-actionBtn--upload'), 'no upload button');
        const success = oneEvent(el, 'digime-write-success');
        shadow(el, '.uppy-StatusBar-actionBtn--upload')!.click();
        const { detail } = await success;
        const uppyFileId = el.uppy.getFiles()[0]?.id;
        const [stored] = await knob('digime', 'postbox');
        const [received] = await knob('app-digime', 'received');
        await waitUntil(() => shadow(el, '[part~="result-delivered"]'), 'no delivered row');
        return { detail, uppyFileId, stored, received, resultRow: shadow(el, '[part~="result"]')?.textContent };
      });
      const got = () => fromBase64(run().received!.fileBase64);

      it('fires digime-write-success for the picked file', () => {
        const { detail, uppyFileId } = run();
        expect(detail.name).to.equal('notes.txt');
        expect(detail.fileId).to.equal(uppyFileId);
      });

      it('delivers it', () => {
        expect(run().detail.status).to.equal('delivered');
      });

      it('says when it expires', () => {
        expect(run().detail.expires).to.be.a('number');
      });

      it("puts it in the user's postbox under its name", () => {
        const { stored } = run();
        expect(stored?.postboxId).to.equal(el.postboxId);
        expect(stored?.name).to.equal('notes.txt');
      });

      // digi.me decrypted exactly the picked bytes and the descriptor.
      it('lets digi.me decrypt exactly the picked bytes', () => {
        expect(Array.from(fromBase64(run().stored!.plaintextBase64))).to.deep.equal(Array.from(bytes));
      });

      it('lets digi.me decrypt the descriptor: type, accounts, reference and tags', () => {
        expect(run().stored?.descriptor).to.deep.equal({
          mimeType: 'text/plain',
          accounts: [{ accountId: 'acc-browser' }],
          reference: ['ref-1'],
          tags: ['browser-test'],
        });
      });

      // The app backend received ciphertext only: not the bytes, not a piece of them, not the descriptor.
      it('sends the backend the file padded to whole cipher blocks', () => {
        expect(got().length).to.equal(bytes.length + 16 - (bytes.length % 16));
      });

      it('never lets the backend see the bytes, nor a piece of them', () => {
        expect(containsBytes(got(), new TextEncoder().encode(MARKER))).to.equal(false);
        expect(containsBytes(got(), bytes.subarray(bytes.length - 64))).to.equal(false);
      });

      it('sends the backend the iv, metadata, postbox_id and symmetrical_key, nothing more', () => {
        expect(Object.keys(run().received!.fields).sort()).to.deep.equal(['iv', 'metadata', 'postbox_id', 'symmetrical_key']);
      });

      it('names the postbox to the backend', () => {
        expect(run().received!.fields.postbox_id).to.equal(el.postboxId);
      });

      it('never lets the backend read the descriptor', () => {
        expect(atob(run().received!.fields.metadata!)).not.to.contain('acc-browser');
      });

      it('sends the backend a 16-byte iv in hex', () => {
        expect(run().received!.fields.iv).to.match(/^[0-9a-f]{32}$/);
      });

      it('shows the file delivered', () => {
        expect(run().resultRow).to.contain('notes.txt').and.to.contain('Delivered');
      });
    });

    describe('when the page reloads', () => {
      const run = step(async () => {
        const reloaded = new Promise<void>((resolve) => frame.addEventListener('load', () => resolve(), { once: true }));
        frame.contentWindow!.location.reload();
        await reloaded;
        const again = await writerIn(frame);
        // Waited for here; the it on it fails if it never came.
        await waitUntil(() => again.postboxId === el.postboxId, 'the postbox was not restored').catch(() => undefined);
        return {
          restored: again.postboxId,
          authorizes: (await sandboxLog('app-digime')).filter((e) => e.path === '/app/digime/authorize'),
        };
      });

      it('restores the connection from IndexedDB', () => {
        expect(run().restored, 'the postbox was not restored').to.equal(el.postboxId);
      });

      it('does not go to digi.me again', () => {
        expect(run().authorizes).to.have.length(1);
      });
    });
  });

  describe('when digi.me redirects back with a failure (success=false&errorCode)', () => {
    const run = situation(async () => {
      await knob('digime', 'fail-authorize', { errorCode: 'UserDeclined' });
      return inFrame(async (frame) => {
        await connectThroughDigiMe(frame);
        const el = await writerIn(frame);
        await waitUntil(() => shadow(el, '[part="error"]'), 'no error shown');
        return {
          error: shadow(el, '[part="error"]')?.textContent,
          errorRole: shadow(el, '[part="error"]')?.getAttribute('role'),
          connectButton: shadow(el, '[part="connect-button"]'),
          postboxId: el.postboxId,
          events: frameEvents(frame),
          search: frame.contentWindow!.location.search,
          appLog: await sandboxLog('app-digime'),
        };
      });
    });

    it('shows the error', () => {
      expect(run().error).to.contain('UserDeclined');
    });

    it('as an alert', () => {
      expect(run().errorRole).to.equal('alert');
    });

    it('still offers to connect', () => {
      expect(run().connectButton).to.exist;
    });

    it('stays unconnected', () => {
      expect(run().postboxId).to.equal(undefined);
    });

    it('fires digime-connect-error with the errorCode', () => {
      expect(run().events.map((e) => [e.type, (e.detail.error as { code: string }).code])).to.deep.equal([
        ['digime-connect-error', 'UserDeclined'],
      ]);
    });

    it('cleans the address bar', () => {
      expect(run().search).to.equal('');
    });

    it('does not exchange', () => {
      expect(run().appLog.map((e) => e.path)).to.deep.equal(['/app/digime/authorize']);
    });
  });

  describe('when another tab connects again and moves the session to a new postbox', () => {
    const run = situation(() =>
      inFrame((frame) =>
        inFrame(async (other) => {
          const a = await connectedWriter(frame);
          const first = a.postboxId!;
          const b = await connectedWriter(other);
          const otherPostboxAtConnect = b.postboxId;
          const bytes = pickedBytes();
          const success = oneEvent(a, 'digime-write-success');
          pickFiles(frame, a, [{ name: 'moved.txt', type: 'text/plain', bytes }]);
          await waitUntil(() => shadow(a, '.uppy-StatusBar-actionBtn--upload'), 'no upload button');
          shadow(a, '.uppy-StatusBar-actionBtn--upload')!.click();
          return {
            first,
            bytes,
            otherPostboxAtConnect,
            otherPostbox: b.postboxId,
            success: (await success).detail,
            adopted: a.postboxId,
            writes: (await sandboxLog('app-digime')).filter((e) => e.path === '/app/digime/write'),
            stored: (await knob('digime', 'postbox'))[0],
          };
        }),
      ),
    );

    it('the other tab has a new postbox', () => {
      expect(run().otherPostboxAtConnect).to.not.equal(run().first);
    });

    it("this tab's write is delivered", () => {
      expect(run().success.status).to.equal('delivered');
    });

    it('this tab adopts the session postbox', () => {
      expect(run().adopted, 'adopted the session postbox').to.equal(run().otherPostbox);
    });

    it('after the backend answered the old postbox with 409', () => {
      expect(run().writes.map((w) => w.status)).to.deep.equal([409, 200]);
    });

    it('the write lands in the new postbox', () => {
      const { stored, otherPostbox, bytes } = run();
      expect(stored?.postboxId).to.equal(otherPostbox);
      expect(containsBytes(fromBase64(stored!.plaintextBase64), bytes)).to.equal(true);
    });
  });

  describe('when the page has its own ?success=false (no connect in progress)', () => {
    const run = situation(() =>
      inFrame(async (frame) => {
        const el = await writerIn(frame);
        await el.updateComplete;
        await new Promise((r) => setTimeout(r, 200));
        return { events: frameEvents(frame), error: shadow(el, '[part="error"]'), search: frame.contentWindow!.location.search };
      }, `${FRAME_URL}?success=false&errorCode=OrderFailed&state=app-own`),
    );

    it('fires nothing', () => {
      expect(run().events).to.deep.equal([]);
    });

    it('shows no error', () => {
      expect(run().error).to.equal(null);
    });

    it('leaves the address bar alone', () => {
      expect(run().search).to.equal('?success=false&errorCode=OrderFailed&state=app-own');
    });
  });

  describe('when the access token has expired', () => {
    const run = situation(() =>
      inFrame(async (frame) => {
        const el = await connectedWriter(frame);
        await knob('digime', 'expire-access-tokens');
        el.addFiles([new (frameFile(frame))(['after expiry'], 'later.txt', { type: 'text/plain' })]);
        const success = oneEvent(el, 'digime-write-success');
        const report = await el.upload();
        return {
          report,
          success: (await success).detail,
          digime: await sandboxLog('digime'),
          appWrites: (await sandboxLog('app-digime')).filter((e) => e.path === '/app/digime/write'),
          stored: (await knob('digime', 'postbox'))[0],
        };
      }),
    );
    const writes = () => run().digime.filter((e) => e.path.includes('/permission-access/postbox/'));

    it('resolves upload() with the write delivered', () => {
      const { report, success } = run();
      expect(report.successful).to.deep.equal([success]);
      expect(report.successful.map((o) => o.status)).to.deep.equal(['delivered']);
    });

    it("has the backend's write refused with 401, then retried", () => {
      expect(writes().map((e) => e.status)).to.deep.equal([401, 200]);
    });

    it('has the backend refresh the token', () => {
      const grants = run()
        .digime.filter((e) => e.path.endsWith('/oauth/token'))
        .map((e) => jwtClaims(e.headers.authorization).grant_type);
      expect(grants).to.deep.equal(['authorization_code', 'refresh_token']);
    });

    it('retries with the new access token', () => {
      const [first, second] = writes().map((e) => jwtClaims(e.headers.authorization));
      expect(first?.access_token).not.to.equal(second?.access_token);
    });

    // The retry happened between backend and digi.me.
    it('writes from the browser once', () => {
      expect(run().appWrites).to.have.length(1);
    });

    it('gets the file to digi.me', () => {
      expect(new TextDecoder().decode(fromBase64(run().stored!.plaintextBase64))).to.equal('after expiry');
    });
  });

  describe('when digi.me answers a write with pending', () => {
    const run = situation(() =>
      inFrame(async (frame) => {
        const el = await connectedWriter(frame);
        await knob('digime', 'write-status', { status: 'pending' });
        const success = oneEvent(el, 'digime-write-success');
        el.addFiles([new (frameFile(frame))(['p'], 'p.txt', { type: 'text/plain' })]);
        void el.upload();
        const { detail } = await success;
        await waitUntil(() => shadow(el, '[part~="result-pending"]'), 'no pending row');
        return { detail, row: shadow(el, '[part~="result-pending"]')?.textContent };
      }),
    );

    it('fires digime-write-success with the status pending', () => {
      expect(run().detail.status).to.equal('pending');
    });

    it('shows the file as pending', () => {
      expect(run().row).to.contain('Pending');
    });
  });

  describe('when the backend lost the session', () => {
    const run = situation(() =>
      inFrame(async (frame) => {
        const el = await connectedWriter(frame);
        // Sessions live in the demo backend's memory: a reset is a backend restart.
        await resetSandbox();
        const failed = oneEvent(el, 'digime-write-error');
        el.addFiles([new (frameFile(frame))(['x'], 'x.txt', { type: 'text/plain' })]);
        void el.upload();
        const { detail } = await failed;
        // Waited for here; the it on it fails if it never came.
        await waitUntil(() => shadow(el, '[part="connect-button"]'), 'connect button not offered again').catch(() => undefined);
        return {
          detail,
          connectOffered: shadow(el, '[part="connect-button"]') !== null,
          postboxId: el.postboxId,
          saved: await loadPostbox(new URL('/app/digime', location.href).href),
          stored: await knob('digime', 'postbox'),
        };
      }),
    );

    it('fails the write for the file', () => {
      expect(run().detail.name).to.equal('x.txt');
    });

    it('with not-connected', () => {
      expect(run().detail.error.code).to.equal('not-connected');
    });

    it('offers to connect again', () => {
      expect(run().connectOffered, 'connect button not offered again').to.equal(true);
    });

    it('drops the connection', () => {
      expect(run().postboxId).to.equal(undefined);
    });

    it('forgets the postbox it remembered', () => {
      expect(run().saved).to.equal(undefined);
    });

    it('writes nothing to digi.me', () => {
      expect(run().stored).to.deep.equal([]);
    });
  });
});
