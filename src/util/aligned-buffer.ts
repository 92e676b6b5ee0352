/**
 * Page-aligned buffers for direct I/O (O_DIRECT), which needs the memory
 * address, the file offset and the length all aligned to the device's block
 * size. Node cannot ask for an aligned allocation, but a WebAssembly memory
 * always starts on a page boundary, so a buffer over one qualifies.
 *
 * Contract:
 * - `allocAligned(n)` returns a buffer of exactly n bytes, contents
 *   unspecified; it is aligned (and `isAligned` says so) when n is a multiple of WASM_PAGE and
 *   WebAssembly is available, else it is an ordinary buffer;
 * - `isAligned(b)` is true only for a view of such a buffer that starts on a
 *   DIRECT_IO_ALIGN boundary: never a false positive, so a caller may pass
 *   it to an O_DIRECT write without risking EINVAL for the address.
 */
export const DIRECT_IO_ALIGN = 4096;
const WASM_PAGE = 64 << 10;

const alignedBackings = new WeakSet<ArrayBufferLike>();

/** The part of the WebAssembly global used here (the project's lib settings carry no WebAssembly types). */
interface WasmMemoryApi {
  Memory: new (d: { initial: number; maximum: number }) => { readonly buffer: ArrayBuffer };
}
const wasm = (globalThis as { WebAssembly?: WasmMemoryApi }).WebAssembly;

export function allocAligned(bytes: number): Buffer {
  if (wasm && bytes > 0 && bytes % WASM_PAGE === 0) {
    try {
      const pages = bytes / WASM_PAGE;
      const mem = new wasm.Memory({ initial: pages, maximum: pages });
      alignedBackings.add(mem.buffer);
      return Buffer.from(mem.buffer);
    } catch {
      // No WebAssembly (e.g. --jitless) or no address space left: an ordinary buffer.
    }
  }
  return Buffer.allocUnsafeSlow(bytes);
}

export function isAligned(buf: Uint8Array): boolean {
  return alignedBackings.has(buf.buffer) && buf.byteOffset % DIRECT_IO_ALIGN === 0;
}
