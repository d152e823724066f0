// Stored blobs, attached files and fixity runs as other modules read them (the four-property check,
// verify, restore, the console); the SQL is file.repo.ts's and fixity.repo.ts's, which only storage imports.
export {
  type AttachedFileRow,
  type BlobRow,
  blobsAfter,
  copiesOf,
  fileDigestsOf,
  findBlob,
  findItemFile,
  itemFilesAfter,
  listItemFiles,
  resetCopies,
} from './file.repo.js';
export { listRuns } from './fixity.repo.js';
