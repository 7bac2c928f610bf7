// The part of spark-md5 (what the reference Titan JS SDK hashes with) the benchmark uses.
declare module 'spark-md5' {
  class ArrayBufferHasher {
    append(buffer: ArrayBuffer): this;
    end(raw?: boolean): string;
    static hash(buffer: ArrayBuffer, raw?: boolean): string;
  }
  const SparkMD5: { ArrayBuffer: typeof ArrayBufferHasher };
  export default SparkMD5;
}
