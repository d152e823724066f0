import CFB from 'cfb';
import { opaqueBytes } from './opaque-content.js';

// OLE compound files built stream by stream, as Word, Excel and an MSI installer write them: the
// container is the same, only the directory's stream names tell them apart.

export function compoundFile(streams: Record<string, Buffer | string>): Buffer {
  const container = CFB.utils.cfb_new();
  for (const [name, content] of Object.entries(streams))
    CFB.utils.cfb_add(container, name, typeof content === 'string' ? Buffer.from(content) : content);
  return Buffer.from(CFB.write(container, { type: 'buffer' }) as Uint8Array);
}

/** A Word 97–2003 document: the WordDocument stream with the table stream beside it. */
export const legacyDoc = (size = 6000) =>
  compoundFile({ '/WordDocument': opaqueBytes(size), '/1Table': opaqueBytes(800) });

/** An Excel 97–2003 workbook: its BIFF8 records live in the Workbook stream. */
export const legacyXls = (size = 6000) => compoundFile({ '/Workbook': opaqueBytes(size) });

/** A Word document carrying VBA macros (the Macros storage Word writes for them). */
export const macroDoc = () =>
  compoundFile({
    '/WordDocument': opaqueBytes(6000),
    '/Macros/VBA/dir': opaqueBytes(300),
    '/Macros/VBA/ThisDocument': opaqueBytes(900),
  });

/** An installer: MSI tables are streams with encoded names, and no Word or Excel stream. */
export const msiLike = () =>
  compoundFile({
    '/\u4840\u3f3f\u4577\u446c\u3e6a\u44b2\u4831': opaqueBytes(2000),
    '/\u0005SummaryInformation': opaqueBytes(400),
    '/Binary.setup': opaqueBytes(5000),
  });
