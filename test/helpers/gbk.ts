// GB 18030 bytes without an encoder package: decode every GBK double-byte code once and invert.
let gbkTable: Map<string, number[]> | undefined;
export function gbk(text: string): Buffer {
  if (!gbkTable) {
    gbkTable = new Map();
    const decoder = new TextDecoder('gb18030');
    for (let lead = 0x81; lead <= 0xfe; lead++)
      for (let trail = 0x40; trail <= 0xfe; trail++) {
        if (trail === 0x7f) continue;
        const char = decoder.decode(Uint8Array.of(lead, trail));
        if (!gbkTable.has(char)) gbkTable.set(char, [lead, trail]);
      }
  }
  const bytes: number[] = [];
  for (const char of text) {
    if (char.charCodeAt(0) < 0x80) bytes.push(char.charCodeAt(0));
    else {
      const code = gbkTable.get(char);
      if (!code) throw new Error(`${char} is not in GBK`);
      bytes.push(...code);
    }
  }
  return Buffer.from(bytes);
}
