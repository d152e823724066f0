import crypto from 'node:crypto';
import { useFieldKey } from '../../src/shared/field-cipher.js';

// Every test process encrypts ID numbers as production does, under a throwaway field key; a test
// that opens a system (openSystem) switches to that home's own key.
useFieldKey(crypto.randomBytes(32));
