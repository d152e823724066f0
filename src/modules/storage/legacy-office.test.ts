import { describe, expect, it } from 'vitest';
import {
  compoundFile,
  legacyDoc,
  legacyXls,
  macroDoc,
  msiLike,
} from '../../../test/helpers/compound-files.js';
import { failure } from '../../../test/helpers/fixtures.js';
import { ContentSample, inspectSample } from './file-inspect.js';
import { classifyCompoundFile, isCompoundFile } from './legacy-office.js';
import { identifyContent } from './media-type.js';

// Word and Excel 97–2003 records are accepted by their directory; an installer or a message in the
// same container, a document with macros and a broken directory are refused, each with its reason.

const inspect = (content: Buffer, name: string) => {
  const sample = new ContentSample();
  for (let at = 0; at < content.length; at += 4096) sample.add(content.subarray(at, at + 4096));
  return inspectSample(sample, name);
};

describe('compound files (复合文档)', () => {
  it('tells Word, Excel, macros, installers and broken directories apart', () => {
    expect(isCompoundFile(legacyDoc())).toBe(true);
    expect(classifyCompoundFile(legacyDoc())).toMatchObject({ kind: 'office', label: 'DOC' });
    expect(classifyCompoundFile(legacyXls())).toMatchObject({
      kind: 'office',
      mediaType: 'application/vnd.ms-excel',
    });
    expect(classifyCompoundFile(compoundFile({ '/Book': 'BIFF5' }))).toMatchObject({ label: 'XLS' });
    expect(classifyCompoundFile(macroDoc())).toEqual({ kind: 'macros', label: 'DOC' });
    expect(classifyCompoundFile(msiLike())).toEqual({ kind: 'other' });
    const truncated = legacyDoc(200_000).subarray(0, 4096);
    expect(classifyCompoundFile(truncated).kind).toBe('unreadable');
  });

  it('accepts a .doc and an .xls with the type their content is, and warns when the name says otherwise', async () => {
    expect(await inspect(legacyDoc(), '2019年会议纪要.doc')).toEqual({
      mediaType: 'application/msword',
      warnings: [],
    });
    expect((await inspect(legacyXls(), '结算明细.xls')).mediaType).toBe('application/vnd.ms-excel');
    // Larger than the 64 KiB identification sample: the whole file is read, its streams' chains followed.
    expect((await inspect(legacyDoc(300_000), '大文档.doc')).mediaType).toBe('application/msword');
    const renamed = await inspect(legacyXls(), '台账.doc');
    expect(renamed.mediaType).toBe('application/vnd.ms-excel');
    expect(renamed.warnings[0]).toMatch(/扩展名 \.doc 与内容不符：内容是 XLS/);
  });

  it('refuses installers, macros and broken directories, naming the reason in Chinese', async () => {
    const installer = await failure(inspect(msiLike(), 'setup.doc'));
    expect(installer.code).toBe('FILE_TYPE_NOT_ACCEPTED');
    expect(installer.message).toMatch(/不是 Word 或 Excel 97–2003 文件/);
    const macros = await failure(inspect(macroDoc(), '通知.doc'));
    expect(macros.code).toBe('FILE_EXECUTABLE');
    expect(macros.message).toMatch(/含宏代码（VBA）的 DOC 文件/);
    const broken = await failure(inspect(legacyDoc(200_000).subarray(0, 4096), '残缺.doc'));
    expect(broken.code).toBe('FILE_UNDECODABLE');
    // Identified from the first bytes alone (no whole content), a compound file is never accepted.
    const headOnly = await failure(identifyContent(legacyDoc().subarray(0, 512), 'a.doc'));
    expect(headOnly.code).toBe('FILE_TYPE_NOT_ACCEPTED');
  });
});
