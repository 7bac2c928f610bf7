import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { hashBlob, MD5_READ_BYTES } from '../../src/titan/md5-core.js';

const nodeMd5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

/** A Blob whose stream hands out `data` in uneven chunks, as a byte stream or a plain one. */
function streamed(data: Uint8Array, type: 'bytes' | undefined): Blob {
  let at = 0;
  const source: UnderlyingByteSource | UnderlyingDefaultSource<Uint8Array> = {
    type,
    pull(controller: ReadableByteStreamController | ReadableStreamDefaultController<Uint8Array>) {
      if (at >= data.length) {
        controller.close();
        // A byte stream closed under a pending BYOB read must hand its view back, empty.
        (controller as ReadableByteStreamController).byobRequest?.respond(0);
        return;
      }
      const size = 1 + ((at * 7919) % (3 * MD5_READ_BYTES)); // smaller and larger than one read
      // A copy: enqueue() transfers (detaches) the chunk's buffer, and Buffer#slice is a view.
      controller.enqueue(new Uint8Array(data.subarray(at, at + size)));
      at += size;
    },
  } as UnderlyingByteSource;
  return { size: data.length, stream: () => new ReadableStream(source as UnderlyingByteSource) } as unknown as Blob;
}

describe('hashBlob', () => {
  const data = randomBytes(5 * MD5_READ_BYTES + 4099);
  const expected = nodeMd5(data);

  for (const [what, blobOf] of [
    ['a byte stream read into one reused buffer (BYOB)', () => streamed(data, 'bytes')],
    ['a plain stream', () => streamed(data, undefined)],
    ['a real Blob', () => new Blob([data])],
  ] as const) {
    describe(`when reading ${what}`, () => {
      const progress: number[] = [];
      let hash: string | undefined;
      before(async () => {
        hash = await hashBlob(blobOf(), (done) => progress.push(done), undefined, MD5_READ_BYTES);
      });

      it('agrees with node:crypto', () => {
        assert.equal(hash, expected, what);
      });

      it('ends its progress at the size', () => {
        assert.equal(progress.at(-1), data.length, `${what}: progress ends at the size`);
      });

      it('reports progress along the way', () => {
        assert.ok(progress.length >= 2, `${what}: progress along the way`);
      });
    });
  }

  describe('when the Blob is empty', () => {
    it('gives the md5 of no bytes', async () => {
      assert.equal(await hashBlob(new Blob([])), 'd41d8cd98f00b204e9800998ecf8427e');
    });
  });

  describe('when the read is slow', () => {
    it('reports progress every second however few bytes came, so a slow read is not taken for a hung one', async () => {
      // Three chunks of 1,000 bytes, 1.1 s apart: far below the 4 MiB between regular reports.
      const chunks = [0, 1, 2].map(() => randomBytes(1000));
      let next = 0;
      const slow = {
        size: 3000,
        stream: () =>
          new ReadableStream<Uint8Array>({
            async pull(controller) {
              if (next === chunks.length) return controller.close();
              await new Promise((r) => setTimeout(r, 1100));
              controller.enqueue(chunks[next++]!);
            },
          }),
      } as unknown as Blob;
      const progress: number[] = [];
      const hash = await hashBlob(slow, (done) => progress.push(done));
      assert.equal(hash, nodeMd5(Buffer.concat(chunks)));
      assert.deepEqual(progress.slice(0, 2), [1000, 2000]);
      assert.equal(progress.at(-1), 3000);
    });
  });

  describe('when aborted', () => {
    it('stops between chunks and gives no hash', async () => {
      let reads = 0;
      const result = await hashBlob(
        streamed(randomBytes(4 * MD5_READ_BYTES), 'bytes'),
        () => undefined,
        () => ++reads > 2,
      );
      assert.equal(result, undefined);
    });
  });
});
