import type { BatchSource } from './package.js';
import { registerForm } from './register-form.js';
import { batchForExport, markExported } from './transfer.service.js';

// The batch's side of the export job (package.ts takes it injected): the items to pack, the 登记表
// for data/, and the batch marked exported with the bag's digest once the bag is whole.
export const batchSource: BatchSource = { batchForExport, markExported, registerForm };
