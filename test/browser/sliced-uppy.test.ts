// SlicedUppy: large batches go into Uppy in slices of ADD_SLICE, one task each, in order, and
// uploads wait for all of them; batches an aggregate restriction could refuse stay whole.
import { expect } from '@open-wc/testing';
import type { Meta, Body } from '@uppy/core';
import { ADD_SLICE, SlicedUppy } from '../../src/internal/sliced-uppy.js';
import { recordOnce } from './situation.js';

const descriptors = (count: number, prefix = 'f') =>
  Array.from({ length: count }, (_, i) => ({
    name: `${prefix}-${i}.txt`,
    type: 'text/plain',
    data: new File([`${prefix} ${i}`], `${prefix}-${i}.txt`),
  }));

const names = (uppy: SlicedUppy<Meta, Body>) => uppy.getFiles().map((f) => f.name);

describe('SlicedUppy', () => {
  /** Runs `run` once on a fresh SlicedUppy for the describe's its, then destroys it. */
  const withUppy = <T>(run: (uppy: SlicedUppy<Meta, Body>) => Promise<T>, options?: ConstructorParameters<typeof SlicedUppy>[0]) =>
    recordOnce(async () => {
      const uppy = new SlicedUppy<Meta, Body>(options);
      try {
        return await run(uppy);
      } finally {
        uppy.destroy();
      }
    });

  describe('when a batch larger than ADD_SLICE is added, then a small one', () => {
    const run = withUppy(async (uppy) => {
      const added: number[] = [];
      uppy.on('files-added', (files) => added.push(files.length));
      const batch = descriptors(2 * ADD_SLICE + 50);
      uppy.addFiles(batch);
      const atOnce = uppy.getFiles().length;
      uppy.addFiles(descriptors(2, 'late'));
      const withLate = uppy.getFiles().length;
      await uppy.filesAdded();
      return { batch, atOnce, withLate, added, names: names(uppy) };
    });

    it('adds the first slice at once', () => {
      expect(run().atOnce).to.equal(ADD_SLICE);
    });

    it('queues the small batch behind the slices still to add', () => {
      expect(run().withLate, 'a small batch waits behind the queued slices').to.equal(ADD_SLICE);
    });

    it('adds the rest in later tasks, one slice each, then the small batch', () => {
      expect(run().added).to.deep.equal([ADD_SLICE, ADD_SLICE, 50, 2]);
    });

    it('keeps the order of the files', () => {
      const { batch } = run();
      expect(run().names).to.deep.equal([...batch.map((d) => d.name), 'late-0.txt', 'late-1.txt']);
    });
  });

  describe('when a batch of ADD_SLICE files is added', () => {
    it('adds it whole and synchronously', async () => {
      const uppy = new SlicedUppy<Meta, Body>();
      try {
        uppy.addFiles(descriptors(ADD_SLICE));
        expect(uppy.getFiles()).to.have.length(ADD_SLICE);
      } finally {
        uppy.destroy();
      }
    });
  });

  describe('when upload() is called while slices are still to add', () => {
    const run = withUppy(async (uppy) => {
      const uploaded: string[] = [];
      uppy.addUploader(async (ids) => void uploaded.push(...ids));
      uppy.addFiles(descriptors(ADD_SLICE * 3 + 1));
      const result = await uppy.upload();
      return { uploaded, result };
    });

    it('waits for every slice: the uploader gets every file', () => {
      expect(run().uploaded).to.have.length(ADD_SLICE * 3 + 1);
    });

    it('reports every file successful', () => {
      expect(run().result?.successful).to.have.length(ADD_SLICE * 3 + 1);
    });
  });

  describe('when cancelAll() is called while slices are still to add', () => {
    const run = withUppy(async (uppy) => {
      uppy.addFiles(descriptors(3 * ADD_SLICE));
      uppy.cancelAll();
      await uppy.filesAdded();
      const afterCancel = uppy.getFiles().length;
      uppy.addFiles(descriptors(ADD_SLICE + 1, 'again'));
      await uppy.filesAdded();
      return { afterCancel, again: uppy.getFiles().length };
    });

    it('drops the slices not added yet', () => {
      expect(run().afterCancel).to.equal(0);
    });

    it('takes files added afterwards again', () => {
      expect(run().again).to.equal(ADD_SLICE + 1);
    });
  });

  describe('when a batch is over maxNumberOfFiles', () => {
    const run = withUppy(
      async (uppy) => {
        const refused: string[] = [];
        uppy.on('restriction-failed', (_file, error) => refused.push(error.message));
        uppy.addFiles(descriptors(ADD_SLICE + 11));
        await uppy.filesAdded();
        return { files: uppy.getFiles().length, refused };
      },
      { restrictions: { maxNumberOfFiles: ADD_SLICE + 10 } },
    );

    it('refuses it whole, as Uppy does', () => {
      expect(run().files).to.equal(0);
    });

    it('says why', () => {
      expect(run().refused.join(' ')).to.match(/110 files/);
    });
  });
});
