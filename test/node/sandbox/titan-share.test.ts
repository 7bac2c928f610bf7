// Share links of the Titan replica, against gnasnik/titan-explorer api/events.go
// (CreateShareLinkHandler, ShareLinkInfoHandler, ShareLinkUpdateHandler, UpdateShareStatusHandler),
// api/router.go (create_link is registered before the storage group's AuthRequired, the other
// three after it), core/generated/model/model_gen.go (`Link` and its JSON tags) and
// core/errors/errors.go (InvalidParams 1001, NotFound 1000, LinkAlreadyExist 1061,
// LinkUserNotMatch 1062).
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';
import { ERR, PATHS } from '../../../src/titan/protocol.js';
import { call, claimsOf, login, store } from './titan-helpers.js';
import { recordOnce as recordOnceAfterReset } from '../record-once.js';

let sb: Sandbox;
before(async () => {
  sb = await startSandbox({ timeScale: 0.001 });
});
after(() => sb.close());
beforeEach(() => sb.reset());

const recordOnce = <T>(run: () => Promise<T>) => recordOnceAfterReset(run, () => sb.reset());
const LONG = 'https://storage.titannet.io/distributionstatus?cid=x&AssetType=file';
const future = () => Math.floor(Date.now() / 1000) + 3600;

/** A user with one stored file. */
async function owner() {
  const token = await login(sb, 'alice');
  const { cid } = await store(sb, token, randomBytes(100));
  return { token, cid, username: claimsOf(token).id as string };
}

const createLink = (query: Record<string, string>, token?: string) => call(sb, 'GET', PATHS.createLink, { token, query });

describe('create_link (CreateShareLinkHandler)', () => {
  describe("when the owner's file is shared without a token, with a password and an expiry", () => {
    const r = recordOnce(async () => {
      const o = await owner();
      const expire = future();
      const created = await createLink({
        username: o.username,
        cid: o.cid,
        url: encodeURIComponent(LONG),
        access_pass: 'pw',
        expire_time: String(expire),
      });
      const again = await createLink({ username: o.username, cid: o.cid, url: encodeURIComponent(LONG), expire_time: '0' });
      const [link] = await sb.control('titan', 'links');
      return { o, expire, created, again, link };
    });

    it('answers the short path /link?cid=…&ts=…', () => {
      assert.equal(r().created.json.code, 0, r().created.text);
      assert.match(r().created.json.data.url, new RegExp(`^/link\\?cid=${r().o.cid}&ts=\\d+$`));
    });

    it('stores the long link unescaped once more (url.QueryUnescape), the password from access_pass and the expiry', () => {
      assert.equal(r().link?.longLink, LONG);
      assert.equal(r().link?.shortPass, 'pw');
      assert.equal(r().link?.expireAt, r().expire);
    });

    it('refuses the same long link again: LinkAlreadyExist', () => {
      assert.equal(r().again.json.err, ERR.linkAlreadyExist);
    });
  });

  describe('when the asked file or expiry is not acceptable', () => {
    const r = recordOnce(async () => {
      const o = await owner();
      const base = { username: o.username, cid: o.cid, url: 'https://x.example/a', expire_time: '0' };
      return {
        otherUser: await createLink({ ...base, username: 'tenant/bob' }),
        noExpireTime: await createLink({ username: o.username, cid: o.cid, url: 'https://x.example/b' }),
        past: await createLink({ ...base, url: 'https://x.example/c', expire_time: '1000' }),
        noUrl: await createLink({ ...base, url: '' }),
        badCid: await createLink({ ...base, cid: 'not-a-cid' }),
      };
    });

    it("refuses another user's file (GetUserAsset finds no row): InvalidParams", () => {
      assert.equal(r().otherUser.json.err, ERR.invalidParams);
    });

    it('refuses a missing expire_time (strconv.Atoi): InvalidParams', () => {
      assert.equal(r().noExpireTime.json.err, ERR.invalidParams);
    });

    it('refuses an expiry in the past: InvalidParams', () => {
      assert.equal(r().past.json.err, ERR.invalidParams);
    });

    it('refuses an empty url or a cid that is no CID: InvalidParams', () => {
      assert.equal(r().noUrl.json.err, ERR.invalidParams);
      assert.equal(r().badCid.json.err, ERR.invalidParams);
    });
  });
});

describe('share_link_info, share_link_update and share_status_set (behind AuthRequired)', () => {
  const r = recordOnce(async () => {
    const o = await owner();
    await createLink({ username: o.username, cid: o.cid, url: LONG, expire_time: '0' });
    const info = await call(sb, 'GET', PATHS.shareLinkInfo, { token: o.token, query: { username: o.username, cid: o.cid } });
    const missing = await call(sb, 'GET', PATHS.shareLinkInfo, { token: o.token, query: { username: o.username, cid: 'bafkqaaa' } });
    const anonymous = await call(sb, 'GET', PATHS.shareLinkInfo, { query: { username: o.username, cid: o.cid } });
    const id = info.json.data.link.id as number;
    const expire = future();
    const updated = await call(sb, 'POST', PATHS.shareLinkUpdate, { token: o.token, body: { id, short_pass: 'new', expire_at: expire } });
    const bob = await login(sb, 'bob');
    const notHis = await call(sb, 'POST', PATHS.shareLinkUpdate, { token: bob, body: { id, short_pass: '', expire_at: 0 } });
    const status = await call(sb, 'GET', PATHS.shareStatusSet, { token: o.token, query: { cid: o.cid } });
    const groupZero = await call(sb, 'GET', PATHS.shareStatusSet, { token: o.token, query: { cid: '0' } });
    const [link] = await sb.control('titan', 'links');
    const [asset] = await sb.control('titan', 'assets');
    return { o, info, missing, anonymous, updated, notHis, status, groupZero, link, asset, expire };
  });

  it("share_link_info answers the Link row by the query's username and cid, with its JSON tags", () => {
    const { link } = r().info.json.data;
    assert.equal(link.username, r().o.username);
    assert.equal(link.cid, r().o.cid);
    assert.equal(link.long_link, LONG);
    assert.match(link.short_link, /^\/link\?cid=/);
    assert.equal(link.expire_at, '0001-01-01T00:00:00Z');
    assert.equal(typeof r().info.json.data.expire_days, 'number');
  });

  it('share_link_info answers NotFound for a cid without a link', () => {
    assert.equal(r().missing.json.err, ERR.notFound);
  });

  // AuthRequired lets a request with no credentials through (api/jwt.go), and this handler reads
  // no claims: the link of any username answers to anyone who asks.
  it('share_link_info answers without a token too', () => {
    assert.equal(r().anonymous.json.code, 0);
    assert.equal(r().anonymous.json.data.link.cid, r().o.cid);
  });

  it("share_link_update sets the owner's password and expiry", () => {
    assert.equal(r().updated.json.code, 0, r().updated.text);
    assert.equal(r().link?.shortPass, 'new');
    assert.equal(r().link?.expireAt, r().expire);
  });

  it("refuses another user's update: LinkUserNotMatch", () => {
    assert.equal(r().notHis.json.err, ERR.linkUserNotMatch);
  });

  it('share_status_set marks the asset shared; group 0 is InvalidParams', () => {
    assert.equal(r().status.json.code, 0);
    assert.equal(r().asset?.shared, true);
    assert.equal(r().groupZero.json.err, ERR.invalidParams);
  });
});
